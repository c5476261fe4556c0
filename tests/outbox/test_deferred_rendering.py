"""Deferred emails: written by the thousand in one statement, rendered by the worker that sends them, with their
extra headers, through a real worker to a real SMTP server; a renderer that fails leaves the message failed."""

import random
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from qms import modules
from qms.outbox.models import OutboxMessage
from qms.outbox.rendering import RenderedEmail
from qms.outbox.services import email_enqueue_many, outbox_deliver, outbox_retry
from tests.outbox.conftest import outbox_row

State = OutboxMessage.State
UNSUBSCRIBE = "<https://closeloop.example/u/abc/>"


def survey_invitation(message: OutboxMessage) -> RenderedEmail:
    """A module's renderer, as surveys will declare one: the message's context says what to write."""
    name = message.context["name"]
    return RenderedEmail(
        subject=f"How did we do, {name}?",
        text=f"Dear {name},\nplease answer {message.context['link']}\n",
        html=f"<p>Dear {name}</p>",
        headers={"List-Unsubscribe": UNSUBSCRIBE, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def broken(message: OutboxMessage) -> RenderedEmail:
    raise ValueError("the survey was withdrawn")


@pytest.fixture
def renderers(monkeypatch):
    """A test-only registration, as if an installed module declared email_renderers."""
    monkeypatch.setattr(modules, "email_renderers", lambda: {"test.invite": survey_invitation, "test.broken": broken})


def _enqueue(tenant, rows, renderer="test.invite"):
    with transaction.atomic(), tenant.context():
        return email_enqueue_many(organization=tenant.organization, renderer=renderer, rows=rows)


def _rows(count: int) -> list[tuple[str, dict]]:
    return [
        (f"person{n}@example.com", {"name": f"Person {n}", "link": f"https://x.example/r/{n}/"}) for n in range(count)
    ]


def test_many_messages_are_written_in_one_statement_each_with_its_own_message_id(alpha, renderers):
    with transaction.atomic(), alpha.context():
        for count in (3, 40):
            with CaptureQueriesContext(connection) as queries:
                ids = email_enqueue_many(organization=alpha.organization, renderer="test.invite", rows=_rows(count))
            inserts = [q["sql"] for q in queries.captured_queries if "INSERT" in q["sql"]]
            assert len(inserts) == 1 and len(queries.captured_queries) <= 2  # the INSERT (and a savepoint or not)
            assert len(ids) == count
        messages = {m.pk: m for m in OutboxMessage.objects.filter(organization=alpha.organization)}
    rows = [messages[pk] for pk in ids]
    assert [m.to_email for m in rows] == [to for to, _context in _rows(40)]  # in the rows' order
    assert [m.context for m in rows] == [context for _to, context in _rows(40)]
    assert len({m.message_id for m in messages.values()}) == 43
    assert all(m.message_id.startswith("<") and m.message_id.endswith(">") for m in rows)
    assert {(m.purpose, m.renderer, m.state, m.subject, m.body_text, m.attempts) for m in rows} == {
        ("test.invite", "test.invite", State.PENDING, "", "", 0)
    }


def test_message_ids_stay_unique_when_something_seeds_the_random_module(alpha, renderers):
    """A test framework or a library that seeds `random` (hypothesis does, before every example) made
    `make_msgid` repeat its ids within a hundredth of a second, and the second write then failed on the unique
    Message-ID: the outbox's ids come from `secrets`."""
    written = []
    for _attempt in range(2):
        random.seed(1234)
        written += _enqueue(alpha, _rows(2))
    with alpha.context():
        ids = list(OutboxMessage.objects.filter(pk__in=written).values_list("message_id", flat=True))
    assert len(set(ids)) == 4


def test_the_relay_is_nudged_once_for_the_lot(alpha, renderers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, alpha.context():
        email_enqueue_many(organization=alpha.organization, renderer="test.invite", rows=_rows(25))
    assert len(callbacks) == 1


def test_no_rows_write_nothing(alpha, renderers):
    assert _enqueue(alpha, []) == []


def test_ten_thousand_messages_take_a_moment(alpha, renderers):
    rows = _rows(10_000)
    started = time.perf_counter()
    ids = _enqueue(alpha, rows)
    elapsed = time.perf_counter() - started
    assert len(set(ids)) == 10_000
    assert elapsed < 5, f"10,000 deferred messages took {elapsed:.2f} s"


def test_a_deferred_message_is_rendered_at_delivery_and_what_was_sent_is_kept(alpha, renderers, mailoutbox):
    (pk,) = _enqueue(alpha, _rows(1))
    with transaction.atomic(), alpha.context():
        assert outbox_deliver(message_id=pk) == "sent"
        row = OutboxMessage.objects.get(pk=pk)
    assert (row.state, row.subject) == (State.SENT, "How did we do, Person 0?")
    assert "https://x.example/r/0/" in row.body_text and row.body_html == "<p>Dear Person 0</p>"
    assert row.headers["List-Unsubscribe"] == UNSUBSCRIBE
    (mail,) = mailoutbox
    assert mail.subject == row.subject and mail.extra_headers["List-Unsubscribe"] == UNSUBSCRIBE
    assert mail.extra_headers["Message-ID"] == row.message_id


def test_a_failing_renderer_marks_the_message_failed_and_a_retry_renders_it_again(alpha, renderers, mailoutbox):
    (pk,) = _enqueue(alpha, _rows(1), renderer="test.broken")
    with transaction.atomic(), alpha.context():
        assert outbox_deliver(message_id=pk) == State.FAILED
        row = OutboxMessage.objects.get(pk=pk)
    assert row.state == State.FAILED and row.attempts == 1
    assert "ValueError" in row.last_error and "the survey was withdrawn" in row.last_error
    assert mailoutbox == []

    with transaction.atomic(), alpha.context():
        OutboxMessage.objects.filter(pk=pk).update(renderer="test.invite")  # the module fixed its renderer
        outbox_retry(message=row)
        assert outbox_deliver(message_id=pk) == "sent"
    assert len(mailoutbox) == 1


def test_a_message_of_an_unknown_renderer_fails_visibly(alpha, renderers):
    (pk,) = _enqueue(alpha, _rows(1), renderer="gone.module")
    with transaction.atomic(), alpha.context():
        assert outbox_deliver(message_id=pk) == State.FAILED
        assert "gone.module" in OutboxMessage.objects.get(pk=pk).last_error


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_worker_renders_deferred_messages_and_their_headers_reach_the_smtp_server(
    alpha, renderers, smtp_sink, outbox_worker
):
    ids = _enqueue(alpha, _rows(3))
    (failing,) = _enqueue(alpha, _rows(1), renderer="test.broken")

    def done():
        return [outbox_row(pk).state for pk in [*ids, failing]] == [State.SENT] * 3 + [State.FAILED]

    outbox_worker.relay_until(done, what="three sent, one failed")
    outbox_worker.relay_once_more()

    rows = [outbox_row(pk) for pk in ids]
    assert smtp_sink.accepted_ids() == {row.message_id: 1 for row in rows}
    for mail in smtp_sink.accepted:
        assert mail["List-Unsubscribe"] == UNSUBSCRIBE
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert mail["Subject"].startswith("How did we do, Person")
    assert {m["Subject"] for m in smtp_sink.accepted} == {row.subject for row in rows}
    assert "the survey was withdrawn" in outbox_row(failing).last_error
