"""Sending a claimed batch over one SMTP connection.

A batch goes in chunks of OUTBOX_COMMIT_EVERY messages, each chunk one short transaction: its rows locked
(skip_locked) and re-read in one statement (a message another worker holds, or that was sent or withdrawn meanwhile,
is skipped), its deferred messages rendered, then sent one after another, and what became of each written in one
statement when the chunk commits. A worker killed mid-chunk loses nothing: the chunk's rows stay pending and go
again, with the same Message-IDs, once their lease runs out, so at most the chunk in flight at the kill goes out
twice (OUTBOX_COMMIT_EVERY = 1 makes that a single message, at the cost of a transaction per message). A chunk whose
rendering fails is rolled back before anything of it was sent and goes message by message, so the one that cannot
be rendered fails alone. The lease of what is left is renewed every OUTBOX_LEASE_RENEW_SECONDS. SMTP 4xx and a
dropped connection put the message back with back-off and jitter and the batch goes on (over a new connection);
5xx fails that message with the server's answer; a server that cannot be reached puts the rest of the batch back.

A batch's rows are picked by primary key alone, and whether each is still pending is read off the row: a
`state = 'pending'` condition beside the keys lets PostgreSQL's planner, whose statistics lag behind a wave of
thousands written at once, walk the whole pending index instead of the keys' (26 ms a batch read with 100,000 due;
tests/outbox/test_plans.py).
"""

from __future__ import annotations

import json
import logging
import smtplib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from datetime import datetime, timedelta
from functools import partial
from typing import Any, cast

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from qms.queueing import retry_delay
from qms.tenancy.context import enter_on, organization_context, system_context
from qms.tenancy.locale import activated, language_for, time_zone_for
from qms.tenancy.models import Organization
from qms.tenancy.rls import SYSTEM_ORGANIZATION

from .mime import envelope_of
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
    """One connection of the email backend for a whole batch, opened when first needed, opened again after a drop.
    Over Django's SMTP backend it sends the bytes that mime.py writes (what the backend would send, made faster);
    any other backend (the local mailbox, the tests' memory) gets Django's email object."""

    def __init__(self) -> None:
        self.backend = get_connection(fail_silently=False)
        self.smtp = type(self.backend) is SMTPBackend
        self.opened = False

    def send(self, message: OutboxMessage) -> None:
        if not self.opened:
            try:
                self.backend.open()
            except (OSError, smtplib.SMTPException) as exc:
                raise Unreachable(f"{type(exc).__name__}: {exc}") from exc
            self.opened = True
        try:
            if self.smtp:
                envelope = envelope_of(message)
                client = cast(smtplib.SMTP, cast(SMTPBackend, self.backend).connection)  # opened above
                client.sendmail(envelope.sender, envelope.recipients, envelope.data)
            else:
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
            read = OutboxMessage.objects.filter(pk__in=list(message_ids)).select_related("organization")
            messages = sorted((m for m in read if m.state == State.PENDING), key=lambda m: (m.next_attempt_at, m.pk))
        outcomes["skipped"] = len(set(message_ids)) - len(messages)
        mailer = Mailer()
        stack.enter_context(_commits_without_waiting_for_disk())
        leases = _Leases(organization_id, messages, clock)
        size = max(settings.OUTBOX_COMMIT_EVERY, 1)
        try:
            with rendering_batch(messages):
                for start in range(0, len(messages), size):
                    leases.keep(start)
                    chunk = messages[start : start + size]
                    done, unreachable = _deliver_chunk(
                        chunk, organization_id=organization_id, mailer=mailer, clock=clock,
                        keep=partial(leases.keep, start),
                    )  # fmt: skip
                    outcomes.update(done)
                    rest = messages[start + size :]
                    if unreachable is not None:
                        outcomes["released"] += release(organization_id, rest, error=unreachable, now=clock())
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


class _Leases:
    """A running batch's lease: renewed every OUTBOX_LEASE_RENEW_SECONDS for the messages it has not finished."""

    def __init__(self, organization_id: int | None, messages: Sequence[OutboxMessage], clock: Clock) -> None:
        self.organization_id, self.messages, self.clock = organization_id, messages, clock
        self.renew_at = clock() + timedelta(seconds=settings.OUTBOX_LEASE_RENEW_SECONDS)

    def keep(self, start: int) -> None:
        """Renew the lease of messages[start:] if it is time. Inside a chunk's transaction the renewal also locks
        those rows until the chunk commits, so no claim takes them meanwhile either way."""
        if self.clock() >= self.renew_at:
            outbox_lease_renew(organization_id=self.organization_id, messages=self.messages[start:], now=self.clock())
            self.renew_at = self.clock() + timedelta(seconds=settings.OUTBOX_LEASE_RENEW_SECONDS)


def outbox_lease_renew(*, organization_id: int | None, messages: Sequence[OutboxMessage], now: datetime) -> int:
    """Extend the lease of a running batch's messages still to send."""
    with message_transaction(organization_id):
        pending = _lock_pending([m.pk for m in messages])
        return OutboxMessage.objects.filter(pk__in=list(pending)).update(
            lease_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)
        )


def release(organization_id: int | None, messages: Sequence[OutboxMessage], *, error: str, now: datetime) -> int:
    """Give back messages that were not tried (the server is away): due again after a back-off, attempts unchanged."""
    if not messages:
        return 0
    log.warning("outbox: %d messages wait for the mail server: %s", len(messages), error)
    with message_transaction(organization_id):
        pending = _lock_pending([m.pk for m in messages])
        return OutboxMessage.objects.filter(pk__in=list(pending)).update(
            lease_until=None, next_attempt_at=now + outbox_retry_delay(1), last_error=error[:2000]
        )


class _RenderFailed(Exception):
    pass


def _deliver_chunk(
    chunk: Sequence[OutboxMessage],
    *,
    organization_id: int | None,
    mailer: Mailer,
    clock: Clock,
    keep: Callable[[], None],
) -> tuple[Counter[str], str | None]:
    """Send a chunk of a batch in one transaction (see the module's doc): what became of its messages, and the
    error when the server could not be reached (the message it stopped at and the chunk's rest were given back,
    counted "unreachable" and "released"; the batch gives back its own rest)."""
    outcomes: Counter[str] = Counter()
    if len(chunk) == 1:  # one message: its own transaction, the path that isolates a rendering failure
        outcome = deliver(chunk[0], organization_id=organization_id, mailer=mailer, clock=clock)
        outcomes[outcome] += 1
        return outcomes, chunk[0].last_error if outcome == "unreachable" else None
    unreachable = None
    originals = {m.pk: (m.subject, m.body_text, m.body_html, m.headers) for m in chunk}
    try:
        with message_transaction(organization_id):
            attempts = _lock_pending([m.pk for m in chunk])
            ready = [m for m in chunk if m.pk in attempts]
            outcomes["skipped"] = len(chunk) - len(ready)
            rendered = set()
            for message in ready:
                keep()
                if needs_rendering(message):
                    try:
                        render(message)
                    except Exception as exc:
                        raise _RenderFailed(f"{type(exc).__name__} while rendering: {exc}") from exc
                    rendered.add(message.pk)
            sent: list[OutboxMessage] = []
            for n, message in enumerate(ready):
                keep()
                content = _content(message) if message.pk in rendered else {}
                try:
                    mailer.send(message)
                except Unreachable as exc:
                    unreachable, retry_at = str(exc)[:2000], clock() + outbox_retry_delay(1)
                    for untried in ready[n:]:
                        _save(untried, lease_until=None, next_attempt_at=retry_at, last_error=unreachable)
                    outcomes["unreachable"], outcomes["released"] = 1, len(ready) - n - 1
                    break
                except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row and shown to people
                    outcomes[_record_failure(message, exc, attempts=attempts[message.pk] + 1, now=clock(),
                                             content=content)] += 1  # fmt: skip
                    continue
                sent.append(message)
            _save_sent_many(sent, attempts=attempts, now=clock(), rendered=rendered)
            outcomes["sent"] += len(sent)
    except _RenderFailed:
        # Rolled back before any of it was sent: message by message, so that the one that cannot be rendered fails
        # alone and the others go.
        for message in chunk:
            message.subject, message.body_text, message.body_html, message.headers = originals[message.pk]
        outcomes.clear()
        for n, message in enumerate(chunk):
            keep()
            outcome = deliver(message, organization_id=organization_id, mailer=mailer, clock=clock)
            outcomes[outcome] += 1
            if outcome == "unreachable":
                outcomes["released"] += release(organization_id, chunk[n + 1 :], error=message.last_error, now=clock())
                return outcomes, message.last_error
    return outcomes, unreachable


def _content(message: OutboxMessage) -> dict[str, Any]:
    """What rendering wrote on the message, to keep on its row whatever becomes of it."""
    return {"subject": message.subject, "body_text": message.body_text, "body_html": message.body_html,
            "headers": message.headers}  # fmt: skip


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
            content = _content(message) if rendered else {}
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


# The statements every message runs, written out: the ORM's query building cost as much as their round trips.
TABLE = OutboxMessage._meta.db_table
# By the keys alone, the state read off the rows (see the module's doc); SQLite has no row locks: its writers are
# serialised (BEGIN IMMEDIATE), which is as exclusive.
LOCK = f"SELECT id, attempts, state FROM {TABLE} WHERE id IN %s FOR UPDATE SKIP LOCKED"  # noqa: S608 - no input
SENT = (
    f"UPDATE {TABLE} SET state = %s, attempts = %s, sent_at = %s, last_error = '', lease_until = NULL"  # noqa: S608
    " WHERE id = %s"
)
SENT_RENDERED = (
    f"UPDATE {TABLE} SET state = %s, attempts = %s, sent_at = %s, last_error = '', lease_until = NULL,"  # noqa: S608
    " subject = %s, body_text = %s, body_html = %s, headers = %s WHERE id = %s"
)
SENT_MANY = (
    f"UPDATE {TABLE} SET state = %s, attempts = attempts + 1, sent_at = %s, last_error = '',"  # noqa: S608
    " lease_until = NULL WHERE id IN %s"
)


def _lock_pending(ids: Sequence[int]) -> dict[int, int]:
    """Lock the rows of `ids` that no other worker holds and keep those still pending: their attempts so far."""
    if not ids:
        return {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(LOCK, [tuple(ids)])
        else:  # no tuple parameters either
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(LOCK.split(" FOR ")[0].replace("IN %s", f"IN ({marks})"), list(ids))
        return {int(pk): int(n) for pk, n, state in cursor.fetchall() if state == State.PENDING}


def _lock(message: OutboxMessage) -> int | None:
    """Lock the message's row if it is still pending and no other worker holds it: its attempts so far."""
    return _lock_pending([message.pk]).get(message.pk)


def _save_sent_many(
    messages: Sequence[OutboxMessage], *, attempts: dict[int, int], now: datetime, rendered: set[int]
) -> None:
    """Mark a chunk's sent messages sent: one statement for those sent as they were, and the rendered ones' texts
    kept (one statement each on PostgreSQL's wire: a VALUES list joined in)."""
    if not messages:
        return
    sent_at = OutboxMessage._meta.get_field("sent_at").get_db_prep_save(now, connection)
    plain = tuple(m.pk for m in messages if m.pk not in rendered)
    texts = [m for m in messages if m.pk in rendered]
    with connection.cursor() as cursor:
        if plain and connection.vendor == "postgresql":
            cursor.execute(SENT_MANY, [State.SENT, sent_at, plain])
        elif plain:
            marks = ", ".join(["%s"] * len(plain))
            cursor.execute(SENT_MANY.replace("IN %s", f"IN ({marks})"), [State.SENT, sent_at, *plain])
        if texts and connection.vendor == "postgresql":
            rows = ", ".join(["(%s, %s, %s, %s, %s::jsonb)"] * len(texts))
            cursor.execute(
                f"UPDATE {TABLE} AS t SET state = %s, attempts = t.attempts + 1, sent_at = %s, last_error = '',"  # noqa: S608
                " lease_until = NULL, subject = v.subject, body_text = v.body_text, body_html = v.body_html,"
                f" headers = v.headers FROM (VALUES {rows}) AS v(id, subject, body_text, body_html, headers)"
                " WHERE t.id = v.id",
                [State.SENT, sent_at, *(value for m in texts for value in (
                    m.pk, m.subject, m.body_text, m.body_html, json.dumps(m.headers)))],
            )  # fmt: skip
        else:
            for message in texts:
                cursor.execute(SENT_RENDERED, [State.SENT, attempts[message.pk] + 1, sent_at, message.subject,
                                               message.body_text, message.body_html, json.dumps(message.headers),
                                               message.pk])  # fmt: skip
    for message in messages:
        message.state, message.attempts, message.sent_at = State.SENT, attempts[message.pk] + 1, now
        message.last_error, message.lease_until = "", None


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
