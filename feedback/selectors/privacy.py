"""Reads for a person's rights over their data: everything held about one contact (right of access)."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from feedback.models import Attachment, Contact, FeedbackItem
from qms.audit.models import AuditEvent
from qms.audit.sealing import unseal_events
from qms.audit.services import object_label
from qms.tenancy.access import get_object_for_member

CONSENT_ACTION = "feedback.contact_consent"


def access_contact_for_privacy(*, organization, contact_id) -> Contact:
    """Any contact of the organisation, erased ones included (their tombstone can still be exported)."""
    return get_object_for_member(Contact.objects.select_related("customer"), organization=organization, pk=contact_id)


def contact_feedback(*, organization, contact: Contact) -> QuerySet[FeedbackItem]:
    """The feedback items linked to the contact, and those sent from the contact's email address."""
    condition = Q(contact=contact)
    if contact.email:
        condition |= Q(submitter_email__iexact=contact.email)
    return FeedbackItem.objects.filter(organization=organization).filter(condition).order_by("received_on", "pk")


def _events_about(*, organization, obj) -> QuerySet[AuditEvent]:
    object_type, object_id, _ = object_label(obj)
    return AuditEvent.objects.filter(organization=organization, object_type=object_type, object_id=object_id)


def _consent_history(*, organization, contact: Contact, items: list[FeedbackItem]) -> list[dict]:
    """Every recorded change of the contact's consent, and each consent to be contacted given with feedback."""
    history = [
        {"at": e.created_at, "by": e.actor_label, "action": e.action, "consent": e.changes["consent"]}
        for e in _events_about(organization=organization, obj=contact).order_by("seq")
        if "consent" in e.changes
    ]
    if items:
        object_type, _, _ = object_label(items[0])
        given = AuditEvent.objects.filter(
            organization=organization,
            object_type=object_type,
            object_id__in=[str(item.pk) for item in items],
            action=CONSENT_ACTION,
        ).order_by("seq")
        references = {str(item.pk): item.reference for item in items}
        history += [
            {
                "at": e.created_at,
                "by": e.actor_label,
                "action": e.action,
                "feedback": references[e.object_id],
                "may_contact": e.changes.get("may_contact", [None, None])[1],
            }
            for e in given
        ]
    return sorted(history, key=lambda entry: entry["at"])


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


def contact_personal_data(*, organization, contact: Contact) -> dict:
    """Everything held about the contact, as a JSON-ready dict: the contact, their customer, their feedback
    with its text and attachment details, their consent history, and the audit history of the contact record."""
    items = list(contact_feedback(organization=organization, contact=contact).prefetch_related("themes", "attachments"))
    customer = contact.customer
    return {
        "exported_at": timezone.now(),
        "organization": organization.name,
        "contact": {
            "id": contact.pk,
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "preferred_language": contact.preferred_language,
            "consent": contact.consent,
            "consent_changed_at": contact.consent_changed_at,
            "created_at": contact.created_at,
            "updated_at": contact.updated_at,
            "erased_at": contact.erased_at,
        },
        "customer": None
        if customer is None
        else {
            "id": customer.pk,
            "name": customer.name,
            "kind": customer.kind,
            "segment": customer.segment,
            "region": customer.region,
            "external_ref": customer.external_ref,
        },
        "feedback": [_feedback(item) for item in items],
        "consent_history": _consent_history(organization=organization, contact=contact, items=items),
        "record_history": [
            {"at": e.created_at, "by": e.actor_label, "action": e.action, "changes": e.changes}
            for e in unseal_events(
                organization=organization, events=_events_about(organization=organization, obj=contact).order_by("seq")
            )
        ],
    }
