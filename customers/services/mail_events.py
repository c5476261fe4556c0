"""Writes of the mail events webhook: the organisation's endpoint keys, and what a bounce, a complaint or a delivery
does to a contact's address. The parsing and signature checks of each provider are in customers/mail_events.py.

A hard bounce or a spam complaint marks the address undeliverable at once; SOFT_BOUNCE_LIMIT soft bounces in a row
mark it too; a delivery resets the count of soft bounces (not an undeliverable mark: only a person clears that,
`contact_deliverable_again`). Every change is audited, by no person: the event says it came from the webhook.
"""

import base64
import secrets
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, MailEventsEndpoint
from customers.selectors.mail_events import contacts_by_address, outbox_recipients
from qms.accounts.models import User
from qms.audit.services import audit_record
from qms.audit.writes import audited_create, audited_update, lock
from qms.tenancy.models import Organization

SOFT_BOUNCE_LIMIT = 3
REASON_LENGTH = 1000
BOUNCE, COMPLAINT, DELIVERED = "bounce", "complaint", "delivered"
HARD, SOFT = "hard", "soft"


@dataclass(frozen=True)
class MailEvent:
    """One provider event, read into our terms (customers/mail_events.py makes them)."""

    type: str  # BOUNCE, COMPLAINT or DELIVERED
    email: str = ""
    bounce: str = ""  # HARD or SOFT, for a bounce
    message_id: str = ""
    reason: str = ""
    at: datetime | None = None


# --- the endpoint's keys -----------------------------------------------------------------------------------------


def _fernet(organization_id: int) -> Fernet:
    info = f"closeloop mail events {organization_id}".encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(organization_id: int, value: str) -> str:
    return _fernet(organization_id).encrypt(value.encode()).decode()


def unseal(organization_id: int, sealed: str) -> str:
    """A stored key in clear, or "" when there is none (or it was sealed under another SECRET_KEY)."""
    if not sealed:
        return ""
    try:
        return _fernet(organization_id).decrypt(sealed.encode()).decode()
    except InvalidToken:
        return ""


def mail_events_secret_rotate(*, organization: Organization, actor: User) -> str:
    """A new secret for the organisation's webhook, returned once (only its encrypted form is kept): the previous one
    stops working when this transaction commits. Audited by its last characters, never the secret."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    fields = {"secret_sealed": _seal(organization.pk, secret), "secret_hint": secret[-4:]}
    with transaction.atomic():
        endpoint = MailEventsEndpoint.objects.filter(organization=organization).first()
        if endpoint is None:
            audited_create(
                instance=MailEventsEndpoint(organization=organization, **fields),
                actor=actor,
                action="mail_events.secret_create",
            )
        else:
            audited_update(
                instance=endpoint,
                actor=actor,
                action="mail_events.secret_rotate",
                data={**fields, "secret_rotated_at": timezone.now()},
            )
    return secret


def mail_events_mailgun_key_set(*, organization: Organization, actor: User, key: str) -> MailEventsEndpoint:
    """Keep the HTTP webhook signing key the owner pasted from Mailgun ("" removes it); audited by its last
    characters. The endpoint must exist (a secret made) first."""
    key = key.strip()
    endpoint = MailEventsEndpoint.objects.filter(organization=organization).first()
    if endpoint is None:
        raise ValidationError(_("Make the webhook's secret first."))
    data: dict[str, Any] = {
        "mailgun_key_sealed": _seal(organization.pk, key) if key else "",
        "mailgun_key_hint": key[-4:] if key else "",
        "mailgun_key_set_at": timezone.now() if key else None,
    }
    endpoint, _changes = audited_update(
        instance=endpoint, actor=actor, action="mail_events.mailgun_key", data=data, related=("organization",)
    )
    return endpoint


# --- what events do ------------------------------------------------------------------------------------------


def mail_events_apply(*, organization: Organization, events: Iterable[MailEvent], source: str) -> dict[str, int]:
    """Apply a request's events in order, in one transaction; answers what happened, by kind:
    received, undeliverable (newly marked), soft_bounce, delivered, unchanged, unknown_address."""
    events = list(events)
    counts: Counter[str] = Counter(received=len(events))
    with transaction.atomic():
        recipients = outbox_recipients(
            organization=organization, message_ids=[e.message_id for e in events if e.message_id]
        )
        addresses = [recipients.get(e.message_id) or e.email.strip().lower() for e in events]
        contacts = contacts_by_address(organization=organization, addresses=[a for a in addresses if a])
        for event, address in zip(events, addresses, strict=True):
            contact = contacts.get(address)
            if contact is None:
                counts["unknown_address"] += 1
                continue
            counts[_apply(contact, event, source)] += 1
    return dict(counts)


def _apply(contact: Contact, event: MailEvent, source: str) -> str:
    locked = lock(contact)
    now = timezone.now()
    reason = " ".join(event.reason.split())[:REASON_LENGTH]
    data: dict[str, Any] = {}
    outcome = "unchanged"
    if event.type == DELIVERED:
        if locked.soft_bounces:
            data, outcome = {"soft_bounces": 0}, "delivered"
    elif event.type == COMPLAINT or event.bounce == HARD:
        if locked.undeliverable_at is None:
            prefix = _("Marked as spam") if event.type == COMPLAINT else _("Hard bounce")
            data = {"undeliverable_at": now, "undeliverable_reason": f"{prefix}: {reason}" if reason else str(prefix)}
            outcome = "undeliverable"
    elif locked.undeliverable_at is None:
        count = locked.soft_bounces + 1
        data, outcome = {"soft_bounces": count}, "soft_bounce"
        if count >= SOFT_BOUNCE_LIMIT:
            text = _("%(count)d soft bounces in a row") % {"count": count}
            data |= {"undeliverable_at": now, "undeliverable_reason": f"{text}: {reason}" if reason else text}
            outcome = "undeliverable"
    if not data:
        return outcome
    audited_update(
        instance=locked,
        actor=None,
        action=f"contact.mail_{outcome}",
        data=data,
        extra_changes={"via": [None, f"mail events webhook ({source})"]},
        related=("organization",),
    )
    return outcome


def contact_deliverable_again(*, contact: Contact, actor: User) -> Contact:
    """A person says the address works again: the undeliverable mark and the soft bounces go, audited."""
    if contact.erased_at is not None:
        raise ValidationError(_("This contact's personal data was erased; it cannot be changed."))
    contact, changes = audited_update(
        instance=contact,
        actor=actor,
        action="contact.deliverable_again",
        data={"undeliverable_at": None, "undeliverable_reason": "", "soft_bounces": 0},
        related=("organization",),
    )
    if not changes:
        raise ValidationError(_("This address is not marked undeliverable."))
    return contact


def mail_events_subscription_confirmed(*, endpoint: MailEventsEndpoint, topic_arn: str) -> None:
    """Record that the webhook confirmed an Amazon SNS subscription (customers/sns.py followed its link)."""
    audit_record(
        organization=endpoint.organization,
        actor=None,
        action="mail_events.sns_subscribe",
        obj=endpoint,
        changes={"topic": [None, topic_arn[:300]], "via": [None, "mail events webhook (ses)"]},
    )
