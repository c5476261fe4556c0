"""Sending a claimed batch over one SMTP connection.

Each message is sent inside its own short transaction, with its row locked (skip_locked) and re-read: a message
another worker holds, or that was sent or withdrawn meanwhile, is skipped, and a worker killed mid-batch loses at
most the message in flight (its row stays pending; it is sent again, with the same Message-ID, once its lease runs
out). The lease of what is left is renewed every OUTBOX_LEASE_RENEW_SECONDS. SMTP 4xx and a dropped connection put
the message back with back-off and jitter and the batch goes on (over a new connection); 5xx fails that message
with the server's answer; a server that cannot be reached puts the rest of the batch back.
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from qms.queueing import retry_delay
from qms.tenancy.context import enter_on, organization_context, system_context
from qms.tenancy.locale import activated, language_for, time_zone_for
from qms.tenancy.models import Organization
from qms.tenancy.rls import SYSTEM_ORGANIZATION

from .models import OutboxMessage
from .rendering import needs_rendering, render_deferred, rendering_batch

log = logging.getLogger(__name__)
State = OutboxMessage.State
Clock = Callable[[], datetime]


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


def email_of(message: OutboxMessage, *, connection: Any = None) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_email],
        headers={**message.headers, "Message-ID": message.message_id},
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    return email


class Unreachable(Exception):
    """The mail server could not be reached at all: the batch stops and its rest waits for a later try."""


class Mailer:
    """One connection of the email backend for a whole batch, opened when first needed, opened again after a drop."""

    def __init__(self) -> None:
        self.backend = get_connection(fail_silently=False)
        self.opened = False

    def send(self, message: OutboxMessage) -> None:
        if not self.opened:
            try:
                self.backend.open()
            except (OSError, smtplib.SMTPException) as exc:
                raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
            self.opened = True
        try:
            self.backend.send_messages([email_of(message, connection=self.backend)])
        except OSError as exc:  # smtplib's errors too: an SMTP answer leaves the connection usable, a drop does not
            if isinstance(exc, smtplib.SMTPServerDisconnected) or not isinstance(exc, smtplib.SMTPException):
                self.close()  # the next message opens a new one
            raise

    def close(self) -> None:
        if self.opened:
            self.opened = False
            with suppress(OSError, smtplib.SMTPException):  # it is gone either way
                self.backend.close()


@contextmanager
def message_transaction(organization_id: int | None) -> Iterator[None]:
    """One message's transaction in its organisation's row-level security context (system mail's when None). As the
    outermost transaction (a worker's), the setting is two statements and its commit discards it; nested (a test's
    or a caller's transaction), it is the usual organization_context, which restores the caller's."""
    outermost = connection.get_autocommit() and not connection.in_atomic_block
    if outermost and connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                enter_on(cursor, SYSTEM_ORGANIZATION if organization_id is None else organization_id)
            yield
        return
    context = system_context() if organization_id is None else organization_context(organization_id)
    with transaction.atomic(), context:
        yield


def outbox_deliver_batch(
    *, organization_id: int | None, message_ids: Sequence[int], clock: Clock = timezone.now
) -> Counter[str]:
    """Send the pending messages of `message_ids` (one organisation's, or system mail's when None) over one
    connection, renewing their lease as it goes; `clock` tells the time. Returns how many were sent, retried,
    failed, skipped (and released, when the server could not be reached)."""
    outcomes: Counter[str] = Counter()
    with ExitStack() as stack, scopes_disabled() if organization_id is None else scope(organization=organization_id):
        with message_transaction(organization_id):
            messages = list(
                OutboxMessage.objects.filter(pk__in=list(message_ids), state=State.PENDING)
                .select_related("organization")
                .order_by("next_attempt_at", "pk")
            )
        outcomes["skipped"] = len(set(message_ids)) - len(messages)
        mailer = Mailer()
        stack.enter_context(_commits_without_waiting_for_disk())
        renew_at = clock() + timedelta(seconds=settings.OUTBOX_LEASE_RENEW_SECONDS)
        try:
            with rendering_batch(messages):
                for n, message in enumerate(messages):
                    if clock() >= renew_at:
                        outbox_lease_renew(organization_id=organization_id, messages=messages[n:], now=clock())
                        renew_at = clock() + timedelta(seconds=settings.OUTBOX_LEASE_RENEW_SECONDS)
                    outcome = deliver(message, organization_id=organization_id, mailer=mailer, clock=clock)
                    outcomes[outcome] += 1
                    if outcome == "unreachable":
                        error = message.last_error
                        outcomes["released"] += release(organization_id, messages[n + 1 :], error=error, now=clock())
                        break
        finally:
            mailer.close()
    return outcomes


@contextmanager
def _commits_without_waiting_for_disk() -> Iterator[None]:
    """A batch's many small commits return before the WAL reaches the disk (PostgreSQL's synchronous_commit off, for
    this connection while the batch runs; nothing else changes). A database crash may then forget the last moment's
    "sent": those messages go again with their Message-ID, as after a worker's kill; the data stays consistent."""
    outermost = connection.get_autocommit() and not connection.in_atomic_block
    if connection.vendor != "postgresql" or not outermost:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def outbox_lease_renew(*, organization_id: int | None, messages: Sequence[OutboxMessage], now: datetime) -> int:
    """Extend the lease of a running batch's messages still to send."""
    with message_transaction(organization_id):
        return OutboxMessage.objects.filter(pk__in=[m.pk for m in messages], state=State.PENDING).update(
            lease_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        )


def release(organization_id: int | None, messages: Sequence[OutboxMessage], *, error: str, now: datetime) -> int:
    """Give back messages that were not tried (the server is away): due again after a back-off, attempts unchanged."""
    log.warning("outbox: %d messages wait for the mail server: %s", len(messages), error)
    with message_transaction(organization_id):
        return OutboxMessage.objects.filter(pk__in=[m.pk for m in messages], state=State.PENDING).update(
            lease_until=None, next_attempt_at=now + outbox_retry_delay(1), last_error=error[:2000]
        )


class _RenderFailed(Exception):
    pass


def deliver(message: OutboxMessage, *, organization_id: int | None, mailer: Mailer, clock: Clock) -> str:
    """Send one message of a batch in its own transaction: sent, retry, failed, skipped, or unreachable (the server
    could not be reached: the message is given back untried)."""
    try:
        with message_transaction(organization_id):
            attempts = _lock(message)
            if attempts is None:
                return "skipped"
            rendered = needs_rendering(message)
            if rendered:
                try:
                    render(message)
                except Exception as exc:
                    raise _RenderFailed(f"{type(exc).__name__} while rendering: {exc}") from exc
            content = (
                {"subject": message.subject, "body_text": message.body_text, "body_html": message.body_html,
                 "headers": message.headers} if rendered else {}
            )  # fmt: skip
            try:
                mailer.send(message)
            except Unreachable as exc:
                _save(message, lease_until=None, next_attempt_at=clock() + outbox_retry_delay(1), last_error=str(exc))
                return "unreachable"
            except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row and shown to people
                return _record_failure(message, exc, attempts=attempts + 1, now=clock(), content=content)
            _save_sent(message, attempts=attempts + 1, now=clock(), rendered=rendered)
            return "sent"
    except _RenderFailed as failed:
        # The renderer's transaction was rolled back (its query may have broken it): the failure gets its own.
        log.warning("outbox message %s could not be rendered: %s", message.pk, failed)
        with message_transaction(organization_id):
            attempts = _lock(message)
            if attempts is None:
                return "skipped"
            _save(message, state=State.FAILED, attempts=attempts + 1, last_error=str(failed)[:2000], lease_until=None)
        return State.FAILED


# The two statements every message runs, written out: the ORM's query building cost as much as their round trips.
TABLE = OutboxMessage._meta.db_table
LOCK = f"SELECT attempts FROM {TABLE} WHERE id = %s AND state = %s FOR UPDATE SKIP LOCKED"  # noqa: S608 - no input
SENT = (
    f"UPDATE {TABLE} SET state = %s, attempts = %s, sent_at = %s, last_error = '', lease_until = NULL"  # noqa: S608
    " WHERE id = %s"
)
SENT_RENDERED = (
    f"UPDATE {TABLE} SET state = %s, attempts = %s, sent_at = %s, last_error = '', lease_until = NULL,"  # noqa: S608
    " subject = %s, body_text = %s, body_html = %s, headers = %s WHERE id = %s"
)


def _lock(message: OutboxMessage) -> int | None:
    """Lock the message's row if it is still pending and no other worker holds it: its attempts so far."""
    with connection.cursor() as cursor:
        # SQLite has no row locks: its writers are serialised (BEGIN IMMEDIATE), which is as exclusive.
        cursor.execute(LOCK if connection.features.has_select_for_update_skip_locked else LOCK.split(" FOR ")[0],
                       [message.pk, State.PENDING])  # fmt: skip
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _save_sent(message: OutboxMessage, *, attempts: int, now: datetime, rendered: bool) -> None:
    sent_at = OutboxMessage._meta.get_field("sent_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        if rendered:
            headers = json.dumps(message.headers)
            cursor.execute(SENT_RENDERED, [State.SENT, attempts, sent_at, message.subject, message.body_text,
                                           message.body_html, headers, message.pk])  # fmt: skip
        else:
            cursor.execute(SENT, [State.SENT, attempts, sent_at, message.pk])
    message.state, message.attempts, message.sent_at, message.last_error = State.SENT, attempts, now, ""
    message.lease_until = None


def _save(message: OutboxMessage, **fields: Any) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)


def _record_failure(
    message: OutboxMessage, exc: Exception, *, attempts: int, now: datetime, content: dict[str, Any]
) -> str:
    """A 5xx (or the last attempt) fails the message with the server's answer; anything else retries it later. What
    was rendered is kept either way: a retry sends the same email, and a failed one shows what would have left."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if is_permanent(exc) or attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _save(message, state=State.FAILED, attempts=attempts, lease_until=None, last_error=error, **content)
        outcome = "failed"
    else:
        _save(message, attempts=attempts, lease_until=None, next_attempt_at=now + outbox_retry_delay(attempts),
              last_error=error, **content)  # fmt: skip
        outcome = "retry"
    log.warning("outbox message %s not delivered (%s): %s", message.pk, outcome, exc)
    return outcome


def render(message: OutboxMessage) -> None:
    """Write a deferred message with its renderer, in the organisation's language and time zone unless the context
    names a `language` (a renderer may activate the recipient's own)."""
    organization: Organization | None = message.organization
    with activated(
        language=language_for(organization=organization, asked=str(message.context.get("language", ""))),
        time_zone=time_zone_for(organization=organization),
    ):
        render_deferred(message)
