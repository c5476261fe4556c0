"""A batch is sent in chunks of OUTBOX_COMMIT_EVERY, each one transaction, against a real SMTP server and database:
a message that cannot be rendered (its renderer's query broke the chunk's transaction) fails alone and every other
goes exactly once; a 5xx fails its message inside a chunk and the rest is recorded sent; a server that went away
mid-batch leaves what was sent recorded and gives the rest back untried, across chunks."""

import pytest
from django.core.mail.backends.smtp import EmailBackend
from django.db import connection, transaction

from qms import modules
from qms.outbox.delivery import outbox_deliver_batch
from qms.outbox.models import OutboxMessage
from qms.outbox.rendering import RenderedEmail
from qms.outbox.services import email_enqueue_many
from tests.outbox.conftest import outbox_row

pytestmark = pytest.mark.django_db(transaction=True)  # each chunk's transaction is the worker's own

State = OutboxMessage.State


def invitation(message: OutboxMessage) -> RenderedEmail:
    if message.context.get("broken"):
        with connection.cursor() as cursor:
            cursor.execute("SELECT no_such_column FROM outbox_outboxmessage")  # breaks the transaction on PostgreSQL
    return RenderedEmail(subject=f"Hello {message.context['n']}", text=f"Message {message.context['n']}\n")


@pytest.fixture(autouse=True)
def renderers(monkeypatch):
    monkeypatch.setattr(modules, "email_renderers", lambda: {"test.chunk": invitation})


def _wave(tenant, count: int, broken=()) -> list[int]:
    with transaction.atomic(), tenant.context():
        rows = [(f"p{n}@example.com", {"n": n, "broken": n in broken}) for n in range(count)]
        return email_enqueue_many(organization=tenant.organization, renderer="test.chunk", rows=rows, nudge=False)


def _send(tenant, pks):
    return outbox_deliver_batch(organization_id=tenant.organization.pk, message_ids=pks)


def test_a_message_that_cannot_be_rendered_fails_alone_and_the_others_go_once(alpha, smtp_sink, settings):
    settings.OUTBOX_COMMIT_EVERY = 4
    pks = _wave(alpha, 8, broken={5})

    outcomes = _send(alpha, pks)

    rows = [outbox_row(pk) for pk in pks]
    assert [row.state for row in rows] == [State.SENT] * 5 + [State.FAILED] + [State.SENT] * 2
    assert "while rendering" in rows[5].last_error and "no_such_column" in rows[5].last_error
    assert smtp_sink.accepted_ids() == {row.message_id: 1 for row in rows if row.state == State.SENT}
    assert [row.subject for row in rows if row.state == State.SENT] == [f"Hello {n}" for n in (0, 1, 2, 3, 4, 6, 7)]
    assert (outcomes["sent"], outcomes["failed"]) == (7, 1)


def test_a_5xx_inside_a_chunk_fails_its_message_and_the_rest_is_recorded_sent(alpha, smtp_sink, settings):
    settings.OUTBOX_COMMIT_EVERY = 10
    smtp_sink.refuse_rcpt("p3@example.com", "550 5.1.1 No such user")
    pks = _wave(alpha, 6)

    _send(alpha, pks)

    rows = [outbox_row(pk) for pk in pks]
    assert [row.state for row in rows] == [State.SENT] * 3 + [State.FAILED] + [State.SENT] * 2
    assert "No such user" in rows[3].last_error and rows[3].subject == "Hello 3"  # what would have left
    assert [row.attempts for row in rows] == [1] * 6
    assert all(row.sent_at and row.lease_until is None for row in rows if row.state == State.SENT)


def test_a_server_gone_mid_batch_keeps_what_was_sent_and_gives_the_rest_back_untried(
    alpha, smtp_sink, settings, monkeypatch
):
    settings.OUTBOX_COMMIT_EVERY = 3
    opened = []
    real_open = EmailBackend.open

    def open_once(backend):
        if opened:
            raise ConnectionRefusedError(111, "Connection refused")
        opened.append(backend)
        return real_open(backend)

    monkeypatch.setattr(EmailBackend, "open", open_once)
    smtp_sink.drop_connection_at("p4@example.com")  # the connection goes; the server cannot be reached again
    pks = _wave(alpha, 9)

    outcomes = _send(alpha, pks)

    rows = [outbox_row(pk) for pk in pks]
    assert [row.state for row in rows] == [State.SENT] * 4 + [State.PENDING] * 5
    assert rows[4].attempts == 1  # the dropped one: tried once, due again
    assert [row.attempts for row in rows[5:]] == [0] * 4  # never tried: given back as they were
    assert all("Connection refused" in row.last_error and row.lease_until is None for row in rows[5:])
    assert sum(smtp_sink.accepted_ids().values()) == 4
    assert (outcomes["sent"], outcomes["retry"], outcomes["unreachable"], outcomes["released"]) == (4, 1, 1, 3)
