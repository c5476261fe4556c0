"""Writes of the feedback inbox. Each runs in a transaction and appends an audit event with before/after.

Status changes follow the item's workflow (FeedbackItem.workflow), and every event about an item is recorded against
the item itself, so its timeline is simply its audit events.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, Customer
from feedback.conversion import NOT_AVAILABLE, get_conversion
from feedback.models import Attachment, FeedbackItem, FeedbackTheme, SavedView, Theme
from feedback.notifications import notify_assigned, notify_received
from feedback.selectors.inbox import assignable_members, feedback_by_reference
from qms.accounts.models import User
from qms.audit.services import audit_record, diff
from qms.audit.writes import audited_state, audited_update, created_changes, lock
from qms.links.models import Link
from qms.links.services import External, link_create, links_between
from qms.tenancy.models import Organization
from qms.tenancy.references import next_reference

from .attachments import check_upload

Status = FeedbackItem.Status
REFERENCE_PREFIX = "F"
CLOSED_MESSAGE = _("This item is closed. Reopen it to change it.")
FUTURE_MESSAGE = _("The date received cannot be in the future.")

RECORDED_FIELDS = (
    "channel",
    "kind",
    "customer",
    "contact",
    "submitter_name",
    "submitter_email",
    "product",
    "received_on",
    "text",
)
RELATED = ("organization", "customer", "contact", "assignee")


def _started_if_new(item: FeedbackItem) -> dict[str, str]:
    """Triage of a new item puts it in progress."""
    return FeedbackItem.workflow.apply(item, "start") if item.status == Status.NEW else {}


def _refuse_if_closed(item: FeedbackItem) -> None:
    if item.status == Status.CLOSED:
        raise ValidationError(CLOSED_MESSAGE)


def _check_parties(
    *, organization: Organization, customer: Customer | None, contact: Contact | None
) -> Customer | None:
    """Customer and contact belong to this organisation and to each other; a contact alone implies its customer."""
    for row in (customer, contact):
        if row is not None and row.organization_id != organization.pk:
            raise ValidationError(_("That customer or contact does not belong to this organisation."))
    if contact is not None and contact.customer_id is not None:
        if customer is None:
            return contact.customer
        if customer.pk != contact.customer_id:
            message = _("%(contact)s is not a contact of %(customer)s.") % {
                "contact": contact.name,
                "customer": customer.name,
            }
            raise ValidationError({"contact": message})
    return customer


def _check_received_on(organization: Organization, received_on: date) -> None:
    if received_on > organization.today():
        raise ValidationError({"received_on": FUTURE_MESSAGE})


def _check_choices(*, channel: str, kind: str) -> None:
    if channel not in FeedbackItem.Channel.values:
        raise ValidationError({"channel": _("Choose a channel from the list.")})
    if kind not in FeedbackItem.Kind.values:
        raise ValidationError({"kind": _("Choose a kind from the list.")})


# --- recording ----------------------------------------------------------------------------------------------


def feedback_create(
    *,
    organization: Organization,
    actor: User | None,
    channel: str,
    kind: str,
    text: str,
    customer: Customer | None = None,
    contact: Contact | None = None,
    submitter_name: str = "",
    submitter_email: str = "",
    product: str = "",
    received_on: date | None = None,
    source_ip_hash: str = "",
    assignee: User | None = None,
    language: str = "",
) -> FeedbackItem:
    """Record feedback from any channel. `actor` is None for public submissions (web form, anonymous API) and for
    what another module opens by its own rules (a survey's follow-up), which may name its `assignee` at once."""
    _check_choices(channel=channel, kind=kind)
    if not text.strip():
        raise ValidationError({"text": _("Say what the customer told you.")})
    received_on = received_on or organization.today()
    _check_received_on(organization, received_on)
    customer = _check_parties(organization=organization, customer=customer, contact=contact)
    person = actor if actor is not None and actor.is_authenticated else None
    if assignee is not None and not assignable_members(organization=organization).filter(user_id=assignee.pk).exists():
        raise ValidationError({"assignee": _("Only a member who is not an auditor can be assigned.")})
    with transaction.atomic():
        item = FeedbackItem.objects.create(
            organization=organization,
            reference=next_reference(organization=organization, prefix=REFERENCE_PREFIX),
            channel=channel,
            kind=kind,
            text=text,
            customer=customer,
            contact=contact,
            submitter_name=submitter_name,
            submitter_email=submitter_email,
            product=product,
            received_on=received_on,
            source_ip_hash=source_ip_hash,
            created_by=person,
            assignee=assignee,
            language=language,
        )
        after = audited_state(item, ("reference", "status", *RECORDED_FIELDS, "assignee"))
        audit_record(organization=organization, actor=actor, action="feedback.create", obj=item,
                     changes=created_changes(after))  # fmt: skip
        notify_received(item=item, actor=person)
        if assignee is not None:
            notify_assigned(item=item, actor=person)
    return item


def feedback_update(*, feedback: FeedbackItem, actor: User, **fields: Any) -> FeedbackItem:
    """Correct what was recorded (channel, kind, customer, contact, submitter, product, date, text)."""
    unknown = set(fields) - set(RECORDED_FIELDS)
    if unknown:
        raise TypeError(f"feedback_update does not change {sorted(unknown)}")

    def prepare(item: FeedbackItem) -> dict[str, Any]:
        _refuse_if_closed(item)
        values = {name: fields.get(name, getattr(item, name)) for name in RECORDED_FIELDS}
        _check_choices(channel=values["channel"], kind=values["kind"])
        if not values["text"].strip():
            raise ValidationError({"text": _("The feedback text cannot be empty.")})
        if values["received_on"] != item.received_on:  # a date recorded before the rule stays until corrected
            _check_received_on(item.organization, values["received_on"])
        values["customer"] = _check_parties(
            organization=item.organization, customer=values["customer"], contact=values["contact"]
        )
        return values

    item, _updated = audited_update(
        instance=feedback, actor=actor, action="feedback.update", prepare=prepare, related=RELATED
    )
    return item


# --- triage -------------------------------------------------------------------------------------------------


def feedback_assign(*, feedback: FeedbackItem, actor: User, assignee: User | None) -> FeedbackItem:
    """Give the item to a member who is not an auditor (or to nobody); a new item goes in progress."""

    def prepare(item: FeedbackItem) -> dict[str, Any]:
        _refuse_if_closed(item)
        if assignee is None:
            return {"assignee": None}
        if not assignable_members(organization=item.organization).filter(user_id=assignee.pk).exists():
            raise ValidationError({"assignee": _("Only a member who is not an auditor can be assigned.")})
        return {"assignee": assignee, **_started_if_new(item)}

    with transaction.atomic():  # the assignee hears of it in the same transaction
        item, changes = audited_update(
            instance=feedback, actor=actor, action="feedback.assign", prepare=prepare, related=RELATED
        )
        if "assignee" in changes:
            notify_assigned(item=item, actor=actor)
    return item


def theme_get_or_create(*, organization: Organization, actor: User, name: str) -> Theme:
    name = " ".join(name.split())[:80]
    theme = Theme.objects.filter(organization=organization, name__iexact=name).first()
    if theme is None:
        theme = Theme.objects.create(organization=organization, name=name)
        audit_record(
            organization=organization, actor=actor, action="theme.create", obj=theme, changes={"name": [None, name]}
        )
    return theme


def feedback_set_themes(
    *, feedback: FeedbackItem, actor: User, themes: Iterable[Theme], new_names: Iterable[str] = ()
) -> FeedbackItem:
    """Tag the item with exactly these themes (plus any new ones named); a new item goes in progress."""
    with transaction.atomic():
        item = lock(feedback, *RELATED)
        _refuse_if_closed(item)
        organization = item.organization
        wanted = {theme.pk: theme for theme in themes if theme.organization_id == organization.pk}
        for name in new_names:
            if name.strip():
                theme = theme_get_or_create(organization=organization, actor=actor, name=name)
                wanted[theme.pk] = theme
        current = {row.theme_id: row for row in FeedbackTheme.objects.filter(organization=organization, feedback=item)}
        tagged = Theme.objects.filter(organization=organization, pk__in=current)
        before_names = ", ".join(sorted(theme.name for theme in tagged))
        FeedbackTheme.objects.filter(organization=organization, feedback=item).exclude(theme_id__in=wanted).delete()
        FeedbackTheme.objects.bulk_create(
            [
                FeedbackTheme(organization=organization, feedback=item, theme=theme)
                for pk, theme in wanted.items()
                if pk not in current
            ]
        )
        after_names = ", ".join(sorted(t.name for t in wanted.values()))
        item, _updated = audited_update(
            instance=item,
            actor=actor,
            action="feedback.themes",
            prepare=_started_if_new,
            extra_changes=diff({"themes": before_names}, {"themes": after_names}),
            related=RELATED,
        )
    return item


def feedback_set_sentiment(*, feedback: FeedbackItem, actor: User, sentiment: str) -> FeedbackItem:
    if sentiment and sentiment not in FeedbackItem.Sentiment.values:
        raise ValidationError({"sentiment": _("Choose positive, neutral or negative.")})

    def prepare(item: FeedbackItem) -> dict[str, str]:
        _refuse_if_closed(item)
        return {"sentiment": sentiment, **_started_if_new(item)}

    item, _updated = audited_update(
        instance=feedback, actor=actor, action="feedback.sentiment", prepare=prepare, related=RELATED
    )
    return item


def feedback_triage(
    *,
    feedback: FeedbackItem,
    actor: User,
    assignee: User | None,
    themes: Iterable[Theme],
    new_names: Iterable[str] = (),
    sentiment: str,
) -> tuple[FeedbackItem, list[str]]:
    """Save what triage decides about an item at once (its assignee, themes and sentiment), writing only what
    changed, each through its own service so each change is its own event. Returns the item and the names of what
    changed ("assignee", "themes", "sentiment"); all of it or none is written."""
    changed = []
    with transaction.atomic():
        item = lock(feedback, *RELATED)
        _refuse_if_closed(item)
        if (assignee.pk if assignee else None) != item.assignee_id:
            item = feedback_assign(feedback=item, actor=actor, assignee=assignee)
            changed.append("assignee")
        wanted = {theme.pk for theme in themes}
        names = [name for name in new_names if name.strip()]
        if names or wanted != set(item.themes.values_list("pk", flat=True)):
            item = feedback_set_themes(feedback=item, actor=actor, themes=themes, new_names=names)
            changed.append("themes")
        if sentiment != item.sentiment:
            item = feedback_set_sentiment(feedback=item, actor=actor, sentiment=sentiment)
            changed.append("sentiment")
    return item, changed


def feedback_link(*, feedback: FeedbackItem, actor: User, target_reference: str) -> Link:
    """Link the item to another feedback item of the same organisation, named by its reference."""
    with transaction.atomic():
        item = lock(feedback, *RELATED)
        _refuse_if_closed(item)
        target = feedback_by_reference(organization=item.organization, reference=target_reference)
        if target is None:
            message = _("No feedback item %(reference)s in this organisation.") % {
                "reference": target_reference.strip()
            }
            raise ValidationError({"reference": message})
        if target.pk == item.pk:
            raise ValidationError({"reference": _("An item cannot be linked to itself.")})
        if links_between(organization=item.organization, first=item, second=target).exists():
            message = _("%(reference)s and %(other)s are already linked.") % {
                "reference": item.reference,
                "other": target.reference,
            }
            raise ValidationError({"reference": message})
        link = link_create(organization=item.organization, actor=actor, source=item, target=target)
        audited_update(
            instance=item,
            actor=actor,
            action="feedback.link",
            prepare=_started_if_new,
            extra_changes={"link": [None, f"feedback {target.reference}"]},
            related=RELATED,
        )
    return link


def feedback_convert(*, feedback: FeedbackItem, actor: User, kind: str) -> FeedbackItem:
    """Hand the item over to another module's record (see feedback.conversion): converted, closed, linked, audited."""
    conversion = get_conversion(kind)
    if conversion is None:
        raise ValidationError(_(NOT_AVAILABLE))

    def prepare(item: FeedbackItem) -> dict[str, Any]:
        _refuse_if_closed(item)
        made = conversion.handler(feedback=item, actor=actor)
        reference = str(getattr(made, "reference", made))
        target = made if isinstance(made, Model) else External(kind, reference, f"{conversion.label} {reference}")
        link_create(organization=item.organization, actor=actor, source=item, target=target)
        return {
            **FeedbackItem.workflow.apply(item, "close"),
            "converted_to": reference,
            "closing_note": f"Converted to {conversion.label.lower()} {reference}.",
            "closed_at": timezone.now(),
        }

    item, _updated = audited_update(
        instance=feedback, actor=actor, action="feedback.convert", prepare=prepare, related=RELATED
    )
    return item


def feedback_close(*, feedback: FeedbackItem, actor: User, note: str) -> FeedbackItem:
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Say how the feedback was handled before closing it.")})

    def prepare(item: FeedbackItem) -> dict[str, Any]:
        return {**FeedbackItem.workflow.apply(item, "close"), "closing_note": note, "closed_at": timezone.now()}

    item, _updated = audited_update(
        instance=feedback, actor=actor, action="feedback.close", prepare=prepare, related=RELATED
    )
    return item


def feedback_reopen(*, feedback: FeedbackItem, actor: User) -> FeedbackItem:
    def prepare(item: FeedbackItem) -> dict[str, Any]:
        return {**FeedbackItem.workflow.apply(item, "reopen"), "closing_note": "", "closed_at": None}

    item, _updated = audited_update(
        instance=feedback, actor=actor, action="feedback.reopen", prepare=prepare, related=RELATED
    )
    return item


# --- attachments --------------------------------------------------------------------------------------------


def attachment_add(*, feedback: FeedbackItem, actor: User | None, upload: File) -> Attachment:
    """Store a file checked by its content; the stored name is derived from its hash, never the person's name, and
    the event seals the name (FeedbackItem.personal_fields) and says in clear only the file's type and size."""
    checked = check_upload(upload)
    with transaction.atomic():
        item = lock(feedback, *RELATED)
        _refuse_if_closed(item)
        attachment = Attachment(
            organization=item.organization,
            feedback=item,
            original_name=checked.original_name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor if actor is not None and actor.is_authenticated else None,
        )
        upload.seek(0)
        attachment.file.save(checked.sha256, upload, save=False)
        attachment.save()
        audit_record(
            organization=item.organization,
            actor=actor,
            action="feedback.attachment_add",
            obj=item,
            changes={"attachment": [None, checked.original_name], "file": [None, attachment.description]},
        )
    return attachment


# --- saved views --------------------------------------------------------------------------------------------


def saved_view_create(*, organization: Organization, owner: User, name: str, query: str) -> SavedView:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    with transaction.atomic():
        if SavedView.objects.filter(organization=organization, owner=owner, name__iexact=name).exists():
            raise ValidationError({"name": _("You already have a view called “%(name)s”.") % {"name": name}})
        view = SavedView.objects.create(organization=organization, owner=owner, name=name, query=query[:1000])
        audit_record(
            organization=organization,
            actor=owner,
            action="saved_view.create",
            obj=view,
            changes={"name": [None, name], "query": [None, view.query]},
        )
    return view


def saved_view_delete(*, saved_view: SavedView, actor: User) -> None:
    """A saved view is a personal preference, not a record, so deleting it really deletes it (and is audited)."""
    with transaction.atomic():
        audit_record(
            organization=saved_view.organization,
            actor=actor,
            action="saved_view.delete",
            obj=saved_view,
            changes={"name": [saved_view.name, None], "query": [saved_view.query, None]},
        )
        saved_view.delete()
