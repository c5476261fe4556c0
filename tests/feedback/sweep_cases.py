"""Sweep cases for the feedback inbox (feedback/views/inbox.py and triage.py): list, export, record, triage, files,
saved views."""

import hashlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from feedback.conversion import register_conversion
from feedback.models import Attachment, FeedbackItem, FeedbackTheme, SavedView, Theme
from qms.links.models import Link
from tests.factories import CustomerFactory, FeedbackItemFactory, FeedbackThemeFactory, SavedViewFactory, ThemeFactory
from tests.sweep.core import GET_POST, POST, Case

SWEEP_CONVERSION = "sweep-record"


def _sweep_conversion(*, feedback, actor):
    return f"SW-{feedback.pk}"


# The convert route writes only through a registered handler; the sweep registers its own so the owner's write
# probe can prove the route changes the organisation. (tests/feedback/inbox replaces the registry per test.)
register_conversion(SWEEP_CONVERSION, "Sweep record", _sweep_conversion)


def _stored_file(marker: str) -> tuple[str, bytes]:
    """One small file per tenant marker, stored once under a name derived from its hash, like real uploads."""
    content = f"{marker} attachment text\n".encode()
    name = f"attachments/sweep/{hashlib.sha256(content).hexdigest()[:32]}"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(content))
    return name, content


def populate(tenant, marker):
    organization = tenant.organization
    customer = CustomerFactory(organization=organization, name=f"{marker} customer")
    theme = ThemeFactory(organization=organization, name=f"{marker} theme")
    # Assigned to the staff member, who may then triage it: the role sweep expects what the permission table says.
    item = FeedbackItemFactory(
        organization=organization,
        customer=customer,
        text=f"{marker} feedback text",
        product=f"{marker} product",
        assignee=tenant.staff,
    )
    FeedbackThemeFactory(feedback=item, theme=theme)
    other = FeedbackItemFactory(organization=organization, text=f"{marker} other feedback")
    closed = FeedbackItemFactory(
        organization=organization,
        text=f"{marker} closed feedback",
        status=FeedbackItem.Status.CLOSED,
        closing_note=f"{marker} closing note",
        closed_at=timezone.now(),
        assignee=tenant.staff,
    )
    name, content = _stored_file(marker)
    with tenant.context():
        attachment = Attachment.objects.create(
            organization=organization,
            feedback=item,
            file=name,
            original_name=f"{marker}-notes.txt",
            content_type="text/plain",
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=tenant.manager,
        )
    saved_view = SavedViewFactory(organization=organization, owner=tenant.owner, name=f"{marker} view")
    return {
        "feedback": item,
        "other_feedback": other,
        "closed_feedback": closed,
        "attachment": attachment,
        "saved_view": saved_view,
        "theme": theme,
    }


def snapshot(tenant):
    organization = tenant.organization
    items = FeedbackItem.objects.filter(organization=organization).order_by("pk")
    return {
        "items": list(
            items.values_list(
                "pk", "reference", "channel", "kind", "status", "text", "assignee", "sentiment", "closing_note"
            )
        )
        + list(items.values_list("pk", "converted_to", "customer", "contact", "product", "received_on")),
        "themes": list(Theme.objects.filter(organization=organization).order_by("pk").values_list("pk", "name")),
        "tags": list(
            FeedbackTheme.objects.filter(organization=organization).order_by("pk").values_list("feedback", "theme")
        ),
        "links": list(
            Link.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("from_type", "from_id", "to_type", "to_id")
        ),
        "attachments": list(
            Attachment.objects.filter(organization=organization).order_by("pk").values_list("pk", "feedback", "sha256")
        ),
        "saved_views": list(
            SavedView.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "owner", "name", "query")
        ),
    }


def _item(w):
    return {"feedback_id": w.extra["feedback"].pk}


def _upload(w):
    return {"file": SimpleUploadedFile("sweep-note.txt", b"Uploaded by the sweep\n", content_type="text/plain")}


CASES = {
    "feedback:inbox": Case(shows=("{marker} feedback text", "{marker} theme", "{marker} customer", "{marker} view")),
    "feedback:inbox_export": Case(shows=("{marker} feedback text", "{marker} theme", "{marker} customer")),
    "feedback:feedback_create": Case(
        methods=GET_POST,
        form=lambda w: {
            "channel": FeedbackItem.Channel.PHONE,
            "kind": FeedbackItem.Kind.CONCERN,
            "received_on": timezone.localdate().isoformat(),
            "text": "Recorded by the sweep",
        },
        shows=("{marker} customer",),
    ),
    "feedback:saved_view_create": Case(methods=POST, form=lambda w: {"name": "Sweep view", "query": "status=new"}),
    "feedback:saved_view_delete": Case(
        methods=POST, target=lambda w: {"view_id": w.extra["saved_view"].pk}, owned_by="owner"
    ),
    "feedback:feedback_bulk": Case(
        methods=POST,
        form=lambda w: {
            "items": [w.extra["feedback"].pk, w.extra["other_feedback"].pk, w.extra["closed_feedback"].pk],
            "action": "assign",
            "assignee": w.memberships["manager"].user_id,
        },
    ),
    "feedback:feedback_detail": Case(target=_item),
    "feedback:feedback_edit": Case(
        methods=GET_POST,
        target=_item,
        form=lambda w: {
            "channel": FeedbackItem.Channel.MEETING,
            "kind": FeedbackItem.Kind.QUESTION,
            "received_on": timezone.localdate().isoformat(),
            "text": "Edited by the sweep",
        },
    ),
    "feedback:feedback_triage": Case(
        methods=POST,
        target=_item,
        form=lambda w: {
            "assignee": w.memberships["staff"].user_id,
            "themes": [w.extra["theme"].pk],
            "new_themes": "Sweep theme",
            "sentiment": "negative",
        },
    ),
    "feedback:feedback_link": Case(
        methods=POST, target=_item, form=lambda w: {"reference": w.extra["other_feedback"].reference}
    ),
    "feedback:feedback_convert": Case(methods=POST, target=_item, form=lambda w: {"target": SWEEP_CONVERSION}),
    "feedback:feedback_close": Case(methods=POST, target=_item, form=lambda w: {"note": "Closed by the sweep"}),
    "feedback:feedback_reopen": Case(methods=POST, target=lambda w: {"feedback_id": w.extra["closed_feedback"].pk}),
    "feedback:attachment_upload": Case(methods=POST, target=_item, form=_upload),
    "feedback:attachment_download": Case(
        target=lambda w: {"feedback_id": w.extra["feedback"].pk, "attachment_id": w.extra["attachment"].pk}
    ),
}
