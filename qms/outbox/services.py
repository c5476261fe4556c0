from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from qms.bulk import insert_rows
from qms.queueing import queue_now, retry_delay
from qms.tenancy.context import organization_context, system_context
from qms.tenancy.crossings import organizations_with_mail_due
from qms.tenancy.locale import activated, language_for, time_zone_for
from qms.tenancy.models import Organization
from qms.tenancy.rls import SYSTEM_ORGANIZATION

from .models import OutboxMessage
from .rendering import RenderedEmail, needs_rendering, render_deferred

__all__ = ["RenderedEmail", "email_enqueue", "email_enqueue_many", "outbox_cancel", "outbox_deliver", "outbox_retry"]

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
    domain = message_id_domain()
    message = OutboxMessage(
        organization=organization,
        purpose=template,
        to_email=to,
        subject=subject[:300],
        body_text=text,
        body_html=html,
        message_id=make_msgid(domain=domain),
    )
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
    message_ids = [make_msgid(domain=domain) for _row in rows]
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


def outbox_claim_due(*, limit: int = 100) -> list[tuple[int | None, int]]:
    """Lease due messages: the organisations with mail due come from a crossing (ids only), then each one's messages
    are claimed inside its own context (system mail in the system context). Returns (org id, message id)."""
    now = timezone.now()
    claimed: list[tuple[int | None, int]] = []
    for organization_id in organizations_with_mail_due(now=now):
        if len(claimed) >= limit:
            break
        system = organization_id == SYSTEM_ORGANIZATION
        context = system_context() if system else organization_context(organization_id)
        with transaction.atomic(), context:
            due = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
                Q(lease_until__isnull=True) | Q(lease_until__lt=now), state=State.PENDING, next_attempt_at__lte=now
            )
            if system:
                due = due.filter(organization__isnull=True)  # the system context lifts the scope, not the policy
            ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[: limit - len(claimed)])
            if ids:
                lease = now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
                OutboxMessage.objects.filter(pk__in=ids).update(lease_until=lease)
        claimed.extend((None if system else organization_id, pk) for pk in ids)
    return claimed


def is_permanent(exc: Exception) -> bool:
    """SMTP 5xx is permanent; 4xx, timeouts and dropped connections are worth another try."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


def outbox_retry_delay(attempts: int) -> timedelta:
    seconds = retry_delay(attempts - 1, base=settings.OUTBOX_RETRY_BASE_SECONDS, cap=settings.OUTBOX_RETRY_CAP_SECONDS)
    return timedelta(seconds=seconds)


def _send(message: OutboxMessage) -> None:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers={**message.headers, "Message-ID": message.message_id},
        connection=get_connection(fail_silently=False),
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    email.send()


def _render(message: OutboxMessage) -> None:
    """Write a deferred message with its renderer, in the organisation's language and time zone unless the context
    names a `language` (a renderer may activate the recipient's own); in a savepoint, so that a renderer's failed
    query leaves the message's transaction usable for recording the failure."""
    organization = message.organization
    with (
        transaction.atomic(),
        activated(
            language=language_for(organization=organization, asked=str(message.context.get("language", ""))),
            time_zone=time_zone_for(organization=organization),
        ),
    ):
        render_deferred(message)


def outbox_deliver(*, message_id: int) -> str:
    """Send one message if it is still pending. The row stays locked while it is sent, so two workers given
    the same message cannot both send it; a message already sent is skipped. A deferred message is rendered first,
    under the same lock, and what was sent is saved on the row; a renderer that fails marks the message failed."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
        if message is None or message.state != State.PENDING:
            return "skipped"
        message.attempts += 1
        message.lease_until = None
        if needs_rendering(message):
            try:
                _render(message)
            except Exception as exc:  # noqa: BLE001 - a renderer's failure is the message's, shown and retryable
                message.state = State.FAILED
                message.last_error = f"{type(exc).__name__} while rendering: {exc}"[:2000]
                message.subject = message.body_text = message.body_html = ""
                message.save()
                log.warning("outbox message %s could not be rendered: %s", message.pk, exc)
                return message.state
        try:
            _send(message)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row and shown to people
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if is_permanent(exc) or message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                message.state = State.FAILED
            else:
                message.next_attempt_at = timezone.now() + outbox_retry_delay(message.attempts)
            message.save()
            log.warning("outbox message %s not delivered (%s): %s", message.pk, message.state, exc)
            return message.state
        message.state = State.SENT
        message.sent_at = timezone.now()
        message.last_error = ""
        message.save()
        return "sent"


def outbox_cancel(*, messages: QuerySet[OutboxMessage]) -> int:
    """Withdraw the messages of `messages` that have not left: pending ones not being sent right now (a worker
    holds the row of the one it sends, outbox_deliver). Returns how many were cancelled; the others went or go."""
    with transaction.atomic():
        ids = list(
            messages.select_for_update(skip_locked=True).filter(state=State.PENDING).values_list("pk", flat=True)
        )
        OutboxMessage.objects.filter(pk__in=ids).update(state=State.CANCELLED, lease_until=None)
    return len(ids)


def outbox_retry(*, message: OutboxMessage) -> None:
    """Put a failed message back in the queue (a person fixed the address or the mail server)."""
    OutboxMessage.objects.filter(pk=message.pk, state=State.FAILED).update(
        state=State.PENDING, next_attempt_at=timezone.now(), lease_until=None, attempts=0
    )
    transaction.on_commit(nudge_relay)
