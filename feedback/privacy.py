"""What the feedback inbox holds about a contact, for the directory's export and erasure (customers/privacy.py).

A contact's feedback is what is linked to the contact, and what was sent from the contact's email address.
Erasure clears the submitter, replaces the person's name, email and phone where they stand in the text and the
closing note, and deletes the files attached (their content cannot be scrubbed word for word, and a row with its
name and content replaced would keep only a fingerprint and a dead download; the trail keeps that a file of this
type and size was attached and removed). The item itself (kind, dates, themes, sentiment, status) stays, so the
statistics stay true.

An item that was the contact's before it moved to another contact is someone else's now: erasure takes the
person's name, email and phone out of it and leaves the rest, and the trail's values of the time it was theirs
were sealed under the contact's key (qms/audit/sealing.py), which erasure deletes.
"""

from functools import partial

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext_lazy

from customers.models import Contact
from customers.privacy import Erased, HeldData, identifiers_of, scrub
from qms.accounts.models import User
from qms.audit.models import AuditEvent
from qms.audit.sealing import records_sealed_for, subject_of, subjects_of
from qms.audit.services import audit_record, object_label
from qms.tenancy.models import Organization

from .models import Attachment, FeedbackItem

CONSENT_ACTION = "feedback.contact_consent"


def contact_feedback(*, organization: Organization, contact: Contact) -> QuerySet[FeedbackItem]:
    """The feedback items linked to the contact, and those sent from the contact's email address."""
    condition = Q(contact=contact)
    if contact.email:
        condition |= Q(submitter_email__iexact=contact.email)
    return FeedbackItem.objects.filter(organization=organization).filter(condition).order_by("received_on", "pk")


def _attachment(attachment: Attachment) -> dict:
    return {
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_at": attachment.uploaded_at,
    }


def _feedback(item: FeedbackItem) -> dict:
    return {
        "reference": item.reference,
        "received_on": item.received_on,
        "channel": item.channel,
        "kind": item.kind,
        "status": item.status,
        "product": item.product,
        "text": item.text,
        "submitter_name": item.submitter_name,
        "submitter_email": item.submitter_email,
        "sentiment": item.sentiment,
        "themes": [theme.name for theme in item.themes.all()],
        "closing_note": item.closing_note,
        "closed_at": item.closed_at,
        "attachments": [_attachment(a) for a in item.attachments.all()],
    }


def _consent_given(*, organization: Organization, items: list[FeedbackItem]) -> list[dict]:
    """Each consent to be contacted that the person gave with their feedback (the public form asks)."""
    if not items:
        return []
    object_type, _, _ = object_label(items[0])
    given = AuditEvent.objects.filter(
        organization=organization,
        object_type=object_type,
        object_id__in=[str(item.pk) for item in items],
        action=CONSENT_ACTION,
    ).order_by("seq")
    references = {str(item.pk): item.reference for item in items}
    return [
        {
            "at": e.created_at,
            "by": e.actor_label,
            "action": e.action,
            "feedback": references[e.object_id],
            "may_contact": e.changes.get("may_contact", [None, None])[1],
        }
        for e in given
    ]


def _erase_from_item(item: FeedbackItem, identifiers: list[str], *, theirs: bool) -> list[str]:
    """Take the person out of the item; the names of the fields that changed. An item that is theirs loses its
    submitter; one that moved to someone else keeps its submitter unless that is the person."""
    if theirs:
        identifiers = identifiers_of(*identifiers, item.submitter_email, item.submitter_name)

    def submitter(value: str) -> str:
        return "" if theirs or scrub(value, identifiers) != value else value

    values = {
        "submitter_name": submitter(item.submitter_name),
        "submitter_email": submitter(item.submitter_email),
        "text": scrub(item.text, identifiers),
        "closing_note": scrub(item.closing_note, identifiers),
    }
    erased = sorted(name for name, value in values.items() if getattr(item, name) != value)
    if erased:
        for name, value in values.items():
            setattr(item, name, value)
        item.updated_at = timezone.now()
        item.save(update_fields=[*values, "updated_at"])
    return erased


def _remove_attachments(item: FeedbackItem) -> list[str]:
    """Delete the item's attachments: the rows now, the stored files once the erasure commits. What the trail
    says of each (never its name)."""
    attachments = list(Attachment.objects.filter(organization=item.organization, feedback=item).order_by("pk"))
    for attachment in attachments:
        if attachment.file.name:
            transaction.on_commit(partial(attachment.file.storage.delete, attachment.file.name), robust=True)
    removed = [attachment.description for attachment in attachments]
    Attachment.objects.filter(organization=item.organization, pk__in=[a.pk for a in attachments]).delete()
    return removed


def _erase_item(item: FeedbackItem, identifiers: list[str], *, theirs: bool, actor: User) -> int:
    """Erase the person from one item and audit it without the values; how many files were removed."""
    erased = _erase_from_item(item, identifiers, theirs=theirs)
    removed = _remove_attachments(item) if theirs else []
    if not (erased or removed):
        return 0
    changes = {"erased_fields": [None, ", ".join(sorted([*erased, *(["attachments"] if removed else [])]))]}
    if removed:
        changes["attachments_removed"] = [None, "; ".join(removed)]
    audit_record(
        organization=item.organization, actor=actor, action="feedback.erase_personal_data", obj=item, changes=changes
    )
    return len(removed)


def _former(organization: Organization, contact: Contact, theirs: list[FeedbackItem]) -> list[FeedbackItem]:
    """The items that were the contact's once and are someone else's now."""
    ids = records_sealed_for(organization=organization, subjects=subjects_of(contact), model=FeedbackItem)
    former = FeedbackItem.objects.filter(organization=organization, pk__in=[int(pk) for pk in ids])
    return list(former.exclude(pk__in=[item.pk for item in theirs]).order_by("pk").select_for_update())


class FeedbackPrivacy:
    def export(self, *, organization: Organization, contact: Contact) -> HeldData:
        items = list(
            contact_feedback(organization=organization, contact=contact).prefetch_related("themes", "attachments")
        )
        return HeldData(
            sections={"feedback": [_feedback(item) for item in items]},
            consent_history=_consent_given(organization=organization, items=items),
        )

    def erasure_summary(self, *, organization: Organization, contact: Contact) -> str:
        count = contact_feedback(organization=organization, contact=contact).count()
        # ngettext_lazy keyed by name: the catalogue tool (tests/i18n) extracts only calls of literal arguments.
        summary = ngettext_lazy(
            "the sender’s name and email on their %(count)d feedback item, the files attached to them, and their "
            "name, email address or phone number wherever it appears word for word in that feedback",
            "the sender’s name and email on their %(count)d feedback items, the files attached to them, and their "
            "name, email address or phone number wherever it appears word for word in that feedback",
            "count",
        )
        return summary % {"count": count}

    def erase(self, *, organization: Organization, contact: Contact, identifiers: list[str], actor: User) -> Erased:
        items = list(contact_feedback(organization=organization, contact=contact).select_for_update())
        emails = [item.submitter_email for item in items if item.submitter_email]
        former = _former(organization, contact, items)
        removed = sum(_erase_item(item, identifiers, theirs=True, actor=actor) for item in items)
        for item in former:
            _erase_item(item, identifiers, theirs=False, actor=actor)
        return Erased(
            subjects=[subject_of(item) for item in items],
            emails=emails,
            counts={"feedback_items": len(items), "attachments": removed},
        )


feedback_privacy = FeedbackPrivacy()
