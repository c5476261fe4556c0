"""Reads of the mail events webhook: the organisation's endpoint, and whom an event is about."""

from collections.abc import Iterable

from customers.models import Contact, MailEventsEndpoint
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Organization


def mail_events_endpoint(*, organization: Organization) -> MailEventsEndpoint | None:
    return MailEventsEndpoint.objects.filter(organization=organization).first()


def _bracketed(message_id: str) -> str:
    bare = message_id.strip().strip("<>")
    return f"<{bare}>" if bare else ""


def outbox_recipients(*, organization: Organization, message_ids: Iterable[str]) -> dict[str, str]:
    """{message id as the event gave it: the address our outbox sent it to}, for this organisation's messages only
    (a provider may give the Message-ID with or without its angle brackets). One query."""
    wanted = {_bracketed(given): given for given in message_ids if _bracketed(given)}
    if not wanted:
        return {}
    rows = OutboxMessage.objects.filter(organization=organization, message_id__in=list(wanted))
    return {wanted[message_id]: email.lower() for message_id, email in rows.values_list("message_id", "to_email")}


def contacts_by_address(*, organization: Organization, addresses: Iterable[str]) -> dict[str, Contact]:
    """{address: the organisation's live contact with it}, one query (an address is one live contact)."""
    wanted = {address.strip().lower() for address in addresses if address.strip()}
    if not wanted:
        return {}
    contacts = Contact.objects.filter(organization=organization, email__in=wanted, erased_at__isnull=True)
    return {contact.email: contact for contact in contacts.select_related("organization")}
