"""Reads for a person's rights over their data: everything held about one contact (right of access)."""

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from customers.models import Contact
from customers.privacy import handlers
from qms.audit.models import AuditEvent
from qms.audit.sealing import unseal_events
from qms.audit.services import object_types_of
from qms.tenancy.access import get_object_for_member
from qms.tenancy.models import Organization


def access_contact_for_privacy(*, organization: Organization, contact_id: int) -> Contact:
    """Any contact of the organisation, erased ones included (their tombstone can still be exported)."""
    return get_object_for_member(Contact.objects.select_related("customer"), organization=organization, pk=contact_id)


def contact_events(*, organization: Organization, contact: Contact) -> QuerySet[AuditEvent]:
    """The audit history of the contact record, under its current and any former object type."""
    return AuditEvent.objects.filter(
        organization=organization, object_type__in=object_types_of(contact), object_id=str(contact.pk)
    ).order_by("seq")


def contact_erasure_summaries(*, organization: Organization, contact: Contact) -> list[str]:
    """What erasing the contact removes in each app, for the confirmation page."""
    return [handler.erasure_summary(organization=organization, contact=contact) for handler in handlers()]


def contact_personal_data(*, organization: Organization, contact: Contact) -> dict[str, Any]:
    """Everything held about the contact, as a JSON-ready dict: the contact, their customer, what every app holds
    about them (their feedback…), their consent history, and the audit history of the contact record."""
    customer = contact.customer
    events = unseal_events(organization=organization, events=contact_events(organization=organization, contact=contact))
    held = [handler.export(organization=organization, contact=contact) for handler in handlers()]
    consent_history = [
        {"at": e.created_at, "by": e.actor_label, "action": e.action, "consent": e.changes["consent"]}
        for e in events
        if "consent" in e.changes
    ]
    for data in held:
        consent_history += data.consent_history
    sections = {name: value for data in held for name, value in data.sections.items()}
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
            "consent_source": contact.consent_source,
            "created_at": contact.created_at,
            "updated_at": contact.updated_at,
            "erased_at": contact.erased_at,
            "undeliverable_at": contact.undeliverable_at,
            "undeliverable_reason": contact.undeliverable_reason,
            "soft_bounces": contact.soft_bounces,
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
        **sections,
        "consent_history": sorted(consent_history, key=lambda entry: entry["at"]),
        "record_history": [
            {"at": e.created_at, "by": e.actor_label, "action": e.action, "changes": e.changes} for e in events
        ],
    }
