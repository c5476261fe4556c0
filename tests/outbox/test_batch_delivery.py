"""A batch of outbox emails leaves through a real Celery worker on a real Redis over one SMTP connection to a real
SMTP server; a 4xx is retried, a 5xx fails that message visibly (and a retry sends it), a dropped connection is
reopened for the rest of the batch, and an organisation's send rate holds."""

import pytest
from django.db import transaction

from qms import modules
from qms.outbox.claiming import sending_rate
from qms.outbox.models import OutboxMessage, OutboxSendRate
from qms.outbox.rendering import RenderedEmail
from qms.outbox.services import email_enqueue_many, outbox_retry
from tests.api_client import events
from tests.outbox.conftest import outbox_row

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

State = OutboxMessage.State


def invitation(message: OutboxMessage) -> RenderedEmail:
    return RenderedEmail(subject=f"Hello {message.context['n']}", text=f"Message {message.context['n']}\n")


@pytest.fixture
def renderers(monkeypatch):
    monkeypatch.setattr(modules, "email_renderers", lambda: {"test.batch": invitation})


def _wave(tenant, count: int, prefix: str = "p") -> list[int]:
    with transaction.atomic(), tenant.context():
        rows = [(f"{prefix}{n}@example.com", {"n": n}) for n in range(count)]
        return email_enqueue_many(organization=tenant.organization, renderer="test.batch", rows=rows)


def _states(pks) -> list[str]:
    return [outbox_row(pk).state for pk in pks]


def test_a_batch_goes_over_one_smtp_connection_each_message_with_its_own_message_id(
    alpha, renderers, smtp_sink, outbox_worker, settings
):
    settings.OUTBOX_BATCH_SIZE = 50
    pks = _wave(alpha, 30)

    outbox_worker.relay_until(lambda: _states(pks) == [State.SENT] * 30, what="the batch sent")
    outbox_worker.relay_once_more()

    rows = [outbox_row(pk) for pk in pks]
    assert smtp_sink.accepted_ids() == {row.message_id: 1 for row in rows}
    assert smtp_sink.connections_used() == 1
    assert all(row.attempts == 1 and row.subject.startswith("Hello") for row in rows)


def test_a_wave_larger_than_a_batch_is_sent_in_several_batches_within_the_in_flight_cap(
    alpha, renderers, smtp_sink, outbox_worker, settings
):
    settings.OUTBOX_BATCH_SIZE, settings.OUTBOX_IN_FLIGHT = 10, 20
    pks = _wave(alpha, 45)

    outbox_worker.relay_until(lambda: _states(pks) == [State.SENT] * 45, what="the wave sent")

    assert sum(smtp_sink.accepted_ids().values()) == 45
    assert 5 <= smtp_sink.connections_used() <= 6  # one per batch of ten (a relay may have cut one short)


def test_a_4xx_is_retried_with_back_off_and_the_rest_of_the_batch_goes_on(
    alpha, renderers, smtp_sink, outbox_worker, settings
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    smtp_sink.refuse_rcpt("p1@example.com", "451 4.3.0 Try again later", times=2)
    pks = _wave(alpha, 4)

    outbox_worker.relay_until(lambda: _states(pks) == [State.SENT] * 4, what="all four sent")
    outbox_worker.relay_once_more()

    slow = outbox_row(pks[1])
    assert (slow.attempts, slow.last_error) == (3, "")
    assert [outbox_row(pk).attempts for pk in (pks[0], pks[2], pks[3])] == [1, 1, 1]
    assert smtp_sink.attempts_for("p1@example.com") == 3
    assert smtp_sink.accepted_ids() == {outbox_row(pk).message_id: 1 for pk in pks}


def test_a_5xx_fails_that_message_visibly_the_rest_is_sent_and_a_retry_sends_it(
    alpha, renderers, smtp_sink, outbox_worker
):
    smtp_sink.refuse_rcpt("p2@example.com", "550 5.1.1 No such user", times=1)
    pks = _wave(alpha, 5)

    expected = [State.SENT, State.SENT, State.FAILED, State.SENT, State.SENT]
    outbox_worker.relay_until(lambda: _states(pks) == expected, what="four sent, one failed")
    outbox_worker.relay_once_more()

    failed = outbox_row(pks[2])
    assert "550" in failed.last_error and "No such user" in failed.last_error
    assert failed.sent_at is None and failed.subject == "Hello 2"  # what would have left is shown
    assert smtp_sink.connections_used() == 1

    with transaction.atomic(), alpha.context():
        outbox_retry(message=failed)  # the mailbox exists now
    outbox_worker.relay_until(lambda: outbox_row(pks[2]).state == State.SENT, what="the retried message sent")
    assert smtp_sink.accepted_ids()[failed.message_id] == 1


def test_a_dropped_connection_mid_batch_retries_that_message_and_reconnects_for_the_rest(
    alpha, renderers, smtp_sink, outbox_worker, settings
):
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    smtp_sink.drop_connection_at("p3@example.com")
    pks = _wave(alpha, 8)

    outbox_worker.relay_until(lambda: _states(pks) == [State.SENT] * 8, what="all eight sent")
    outbox_worker.relay_once_more()

    dropped = outbox_row(pks[3])
    assert dropped.attempts == 2 and dropped.last_error == ""
    assert [outbox_row(pk).attempts for pk in pks if pk != pks[3]] == [1] * 7
    assert smtp_sink.accepted_ids() == {outbox_row(pk).message_id: 1 for pk in pks}
    assert smtp_sink.connections_used() >= 2  # the batch's first one, and the one it opened after the drop


def test_an_organisation_sends_no_more_than_its_rate_and_another_is_not_held_back(
    alpha, bravo, renderers, smtp_sink, outbox_worker, settings
):
    settings.OUTBOX_RATE_PER_MINUTE = 5
    limited = _wave(alpha, 12)
    other = _wave(bravo, 4, prefix="b")

    def sent(pks):
        return _states(pks).count(State.SENT)

    outbox_worker.relay_until(lambda: sent(limited) == 5 and sent(other) == 4, what="five of alpha's, bravo's four")
    outbox_worker.relay_once_more()
    outbox_worker.relay_once_more()

    assert sent(limited) == 5
    assert _states(limited).count(State.PENDING) == 7
    assert sum(smtp_sink.accepted_ids().values()) == 9


def test_an_organisations_own_rate_holds_over_the_servers_default(
    alpha, bravo, renderers, smtp_sink, outbox_worker, settings, login
):
    settings.OUTBOX_RATE_PER_MINUTE = 0  # the server sets no limit; alpha's manager sets three a minute
    saved = login(alpha.manager).post("/o/alpha/settings/email/rate/", {"per_minute": "3"})
    assert saved.status_code == 302
    refused = login(alpha.manager).post("/o/alpha/settings/email/rate/", {"per_minute": "0"})
    assert refused.status_code == 422 and "greater than or equal to 1" in refused.content.decode()
    limited = _wave(alpha, 8)
    other = _wave(bravo, 6, prefix="b")

    def sent(pks):
        return _states(pks).count(State.SENT)

    outbox_worker.relay_until(lambda: sent(limited) == 3 and sent(other) == 6, what="three of alpha's, bravo's six")
    outbox_worker.relay_once_more()
    assert sent(limited) == 3 and _states(limited).count(State.PENDING) == 5
    assert [e.changes["per_minute"] for e in events(alpha, "delivery.rate")] == [[None, 3]]


def test_an_organisation_may_go_slower_than_the_server_never_faster(alpha, settings, login):
    settings.OUTBOX_RATE_PER_MINUTE = 5
    client = login(alpha.manager)
    refused = client.post("/o/alpha/settings/email/rate/", {"per_minute": "50"})
    assert refused.status_code == 422
    assert "The server sends at most 5 emails a minute" in refused.content.decode()
    assert client.post("/o/alpha/settings/email/rate/", {"per_minute": "2"}).status_code == 302
    with alpha.context():
        bucket = OutboxSendRate.objects.get(organization=alpha.organization)
        assert sending_rate(bucket) == 2
        settings.OUTBOX_RATE_PER_MINUTE = 1  # the server's ceiling came down below what alpha chose: it holds
        assert sending_rate(bucket) == 1
    page = client.get("/o/alpha/settings/email/").content.decode()
    assert 'name="per_minute" value="2"' in page and "The server's default: 1 email a minute." in page
