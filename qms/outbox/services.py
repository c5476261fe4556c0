from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from qms.audit.services import audit_record
from qms.bulk import insert_rows
from qms.queueing import queue_now
from qms.tenancy.context import system_context
from qms.tenancy.locale import activated, language_for, time_zone_for
from qms.tenancy.models import Organization

from .claiming import outbox_claim_batches, outbox_claim_due
from .delivery import Mailer, deliver, is_permanent, outbox_deliver_batch, outbox_retry_delay
from .models import OutboxMessage, OutboxSendRate
from .rendering import RenderedEmail

__all__ = [
    "RenderedEmail", "email_enqueue", "email_enqueue_many", "email_enqueue_rendered", "is_permanent", "outbox_cancel",
    "outbox_claim_batches", "outbox_claim_due", "outbox_deliver", "outbox_deliver_batch", "outbox_rate_set",
    "outbox_retry", "outbox_retry_delay",
]  # fmt: skip

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from qms.accounts.models import User

log = logging.getLogger(__name__)
State = OutboxMessage.State


def render_email(template: str, context: dict) -> tuple[str, str, str]:
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    text = render_to_string(f"emails/{template}-body.txt", context)
    html = render_to_string(f"emails/{template}-body.html", context)
    return subject, text, html


def email_enqueue(
    *,
    organization: Organization | None,
    to: str,
    template: str,
    context: dict,
    nudge: bool = True,
    recipient: User | None = None,
    language: str = "",
) -> OutboxMessage:
    """Write one email to the outbox in the caller's transaction; it leaves once that transaction commits.

    It is written in the recipient's language and tells times in their time zone (qms.tenancy.locale): a member's
    own, else `language` (a customer's contact language, or the page they wrote from), else the organisation's.
    `nudge=False` leaves it to the periodic relay: for mail written on a customer's request (notifications of their
    submission), which must not try the broker once per message."""
    with activated(
        language=language_for(user=recipient, organization=organization, asked=language),
        time_zone=time_zone_for(user=recipient, organization=organization),
    ):
        subject, text, html = render_email(
            template, {**context, "organization": organization, "site_url": settings.SITE_URL}
        )
    return _write(organization=organization, purpose=template, to=to, rendered=RenderedEmail(subject, text, html),
                  nudge=nudge)  # fmt: skip


def email_enqueue_rendered(
    *, organization: Organization, to: str, purpose: str, rendered: RenderedEmail, subject_prefix: str = ""
) -> OutboxMessage:
    """Write one email a module has rendered itself (a manager's test of a campaign's emails), in the caller's
    transaction, with its headers; it leaves once that transaction commits."""
    return _write(organization=organization, purpose=purpose, to=to, rendered=rendered, prefix=subject_prefix)


def _write(
    *,
    organization: Organization | None,
    purpose: str,
    to: str,
    rendered: RenderedEmail,
    prefix: str = "",
    nudge: bool = True,
) -> OutboxMessage:
    message = OutboxMessage(
        organization=organization,
        purpose=purpose[: OutboxMessage._meta.get_field("purpose").max_length or 64],
        to_email=to,
        subject=(prefix + " ".join(rendered.subject.split()))[:300],
        body_text=rendered.text,
        body_html=rendered.html,
        headers=dict(rendered.headers),
        message_id=new_message_id(message_id_domain()),
    )  # fmt: skip
    if organization is None:
        with system_context():
            message.save(force_insert=True)
    else:
        message.save(force_insert=True)
    if nudge:
        transaction.on_commit(nudge_relay)
    return message


def message_id_domain() -> str:
    """The domain of the Message-IDs the outbox makes: the sender address's."""
    return settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "closeloop.local"


def new_message_id(domain: str) -> str:
    """A Message-ID no other message has: 128 bits from `secrets`. Not `email.utils.make_msgid`, whose uniqueness
    rests on the `random` module: a process that seeds it (a test framework, a library) repeats its ids within the
    same hundredth of a second, and the outbox's unique Message-ID then refuses the second message."""
    return f"<{secrets.token_hex(16)}@{domain}>"


def email_enqueue_many(
    *,
    organization: Organization,
    renderer: str,
    rows: Sequence[tuple[str, dict]],
    nudge: bool = True,
    due: Sequence[datetime] | None = None,
) -> list[int]:
    """Write one deferred email per (to_email, context) row, in the caller's transaction and organisation context:
    the worker renders each one with the module's `renderer` (ModuleConfig.email_renderers) when it sends it.

    Each message has its own Message-ID and `purpose` = the renderer's key; the relay is nudged once for the lot.
    One INSERT on PostgreSQL and SQLite whatever the number of rows. Returns the ids in the rows' order. `due` gives
    each row the moment it may leave (a campaign wave spread over days); without it, every row may leave now."""
    if not rows:
        return []
    domain = message_id_domain()
    message_ids = [new_message_id(domain) for _row in rows]
    now = timezone.now()
    purpose = renderer[: OutboxMessage._meta.get_field("purpose").max_length or 64]
    written = insert_rows(
        OutboxMessage,
        same={"organization": organization, "purpose": purpose, "subject": "", "body_text": "", "body_html": "",
              "headers": {}, "renderer": renderer, "state": State.PENDING, "attempts": 0, "last_error": "",
              "created_at": now},
        columns=["to_email", "context", "message_id", "next_attempt_at"],
        rows=[(to, context, message_id, when) for (to, context), message_id, when
              in zip(rows, message_ids, due or [now] * len(rows), strict=True)],
        returning=["message_id", "id"],
    )  # fmt: skip
    by_message_id = dict(written)
    ids = [by_message_id[message_id] for message_id in message_ids]
    if nudge:
        transaction.on_commit(nudge_relay)
    return ids


def nudge_relay() -> bool:
    """Best effort: ask a worker to relay now. The periodic relay is the guarantee, so a dead broker is fine."""
    return queue_now("outbox.relay")


def outbox_deliver(*, message_id: int) -> str:
    """Send one message if it is still pending, in the caller's organisation context: a batch of one (an
    `outbox.send` task of before the batches, or a test). Returns sent, skipped, or the message's state after."""
    message = OutboxMessage.objects.select_related("organization").filter(pk=message_id).first()
    if message is None or message.state != State.PENDING:
        return "skipped"
    mailer = Mailer()
    try:
        outcome = deliver(message, organization_id=message.organization_id, mailer=mailer, clock=timezone.now)
    finally:
        mailer.close()
    return State.PENDING if outcome in ("retry", "unreachable") else outcome


def outbox_cancel(*, messages: QuerySet[OutboxMessage]) -> int:
    """Withdraw the messages of `messages` that have not left: pending ones not being sent right now (a worker
    holds the row of the one it sends, outbox_deliver). Returns how many were cancelled; the others went or go."""
    with transaction.atomic():
        ids = list(
            messages.select_for_update(skip_locked=True).filter(state=State.PENDING).values_list("pk", flat=True)
        )
        OutboxMessage.objects.filter(pk__in=ids).update(state=State.CANCELLED, lease_until=None)
    return len(ids)


def outbox_rate_set(*, organization: Organization, actor: User, per_minute: int | None) -> OutboxSendRate:
    """Set how many emails a minute the organisation may send, across every worker (None: the server's default,
    OUTBOX_RATE_PER_MINUTE, which is also the ceiling). The next claims apply it; the change is audited."""
    with transaction.atomic():
        bucket, _created = OutboxSendRate.objects.get_or_create(
            organization=organization, defaults={"tokens": float(per_minute or 0), "refilled_at": timezone.now()}
        )
        bucket = OutboxSendRate.objects.select_for_update().get(pk=bucket.pk)
        before, bucket.per_minute = bucket.per_minute, per_minute
        if before != per_minute:
            bucket.save(update_fields=["per_minute"])
            audit_record(organization=organization, actor=actor, action="delivery.rate", obj=bucket,
                         changes={"per_minute": [before, per_minute]})  # fmt: skip
    return bucket


def outbox_retry(*, message: OutboxMessage) -> None:
    """Put a failed message back in the queue (a person fixed the address or the mail server)."""
    OutboxMessage.objects.filter(pk=message.pk, state=State.FAILED).update(
        state=State.PENDING, next_attempt_at=timezone.now(), lease_until=None, attempts=0
    )
    transaction.on_commit(nudge_relay)
