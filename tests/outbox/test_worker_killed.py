"""A worker process killed with SIGKILL in the middle of a survey wave: the worker started after it delivers every
message, and the only duplicates are among those in flight at the kill (at most the chunk of OUTBOX_COMMIT_EVERY
messages it was sending, not yet recorded as sent), each with the Message-ID of its first delivery."""

import time

import pytest
from django.db.models import Count

from qms.outbox.models import OutboxMessage
from qms.outbox.tasks import relay_outbox
from tests.bench.panel import panel
from tests.conftest import every_organisation
from tests.outbox.wave import survey_wave

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

State = OutboxMessage.State
WAVE = 2000
DEADLINE_SECONDS = 50
COMMIT_EVERY = 10


def _sent() -> int:
    with every_organisation():
        return OutboxMessage.objects.filter(state=State.SENT).count()


def _relay_until(predicate, what: str):
    """Beat's part, every half second: the worker does the rest (its batches queue the next ones)."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"not reached within {DEADLINE_SECONDS} s: {what}")
        relay_outbox.delay()
        time.sleep(0.5)


def test_a_worker_killed_mid_wave_is_replaced_and_every_message_arrives_duplicates_only_in_flight(
    alpha, smtp_sink, worker_process, settings
):
    panel(alpha, WAVE)
    survey_wave(alpha)
    options = {
        "smtp_port": settings.EMAIL_PORT,
        "lease_seconds": 4,
        "lease_renew_seconds": 1,
        "in_flight": 400,
        "commit_every": COMMIT_EVERY,
    }
    first = worker_process(**options).start()
    _relay_until(lambda: _sent() >= WAVE // 3, what="a third of the wave sent")
    first.kill()
    at_kill = _sent()
    assert at_kill < WAVE, "the wave ended before the kill: make it bigger"

    worker_process(**options).start()
    _relay_until(lambda: _sent() == WAVE, what="the whole wave sent after the restart")

    with every_organisation():
        rows = dict(OutboxMessage.objects.filter(state=State.SENT).values_list("message_id", "attempts"))
        assert not OutboxMessage.objects.exclude(state=State.SENT).exists()
        assert OutboxMessage.objects.aggregate(ids=Count("message_id", distinct=True))["ids"] == WAVE
    accepted = smtp_sink.accepted_ids()
    assert set(accepted) == set(rows)  # every message arrived, under its own Message-ID
    duplicated = {message_id: n for message_id, n in accepted.items() if n > 1}
    assert sum(n - 1 for n in duplicated.values()) <= COMMIT_EVERY, duplicated  # the chunk in flight at the kill
    assert all(n == 2 for n in duplicated.values())
