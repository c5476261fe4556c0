"""Leases, told by a controlled clock (nothing sleeps): a batch renews the lease of what it has left while it runs, so
no relay takes its messages, and the share of a worker that died is claimed again once its last lease runs out, well
within a minute; an organisation's send rate refills with the minutes."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from qms import modules
from qms.outbox.claiming import outbox_claim_due
from qms.outbox.delivery import outbox_deliver_batch
from qms.outbox.models import OutboxMessage
from qms.outbox.rendering import RenderedEmail
from qms.outbox.services import email_enqueue_many
from tests.outbox.conftest import outbox_row

pytestmark = pytest.mark.django_db(transaction=True)  # each message's transaction is the worker's own

State = OutboxMessage.State
T0 = timezone.now().replace(microsecond=0) + timedelta(days=1)  # later than any row's own time


class Clock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now


class WorkerDied(BaseException):
    """What a SIGKILL looks like to the batch: it stops between two statements and nothing after runs."""


@pytest.fixture
def clock():
    return Clock(T0)


def _wave(tenant, count: int) -> list[int]:
    with transaction.atomic(), tenant.context():
        rows = [(f"p{n}@example.com", {"n": n}) for n in range(count)]
        return email_enqueue_many(organization=tenant.organization, renderer="test.slow", rows=rows, nudge=False)


@pytest.mark.parametrize("commit_every", [1, 4], ids=["a transaction a message", "chunks of four"])
def test_a_running_batch_keeps_its_messages_and_a_dead_workers_share_is_claimed_within_a_minute(
    alpha, clock, monkeypatch, mailoutbox, settings, commit_every
):
    settings.OUTBOX_LEASE_SECONDS, settings.OUTBOX_LEASE_RENEW_SECONDS = 30, 10
    # Chunks of four: the first four are sent and committed (their renewals with them), the worker dies rendering
    # the second chunk's first message, whose transaction (renewal included) goes with it.
    settings.OUTBOX_COMMIT_EVERY = commit_every
    seen_by_relay = []

    def slow(message):
        """Each message takes 11 s of the clock; a relay runs while each is sent; the worker dies at the fifth."""
        clock.now += timedelta(seconds=11)
        seen_by_relay.append(outbox_claim_due(now=clock.now))
        if message.context["n"] == 4:
            raise WorkerDied
        return RenderedEmail(subject=f"Hello {message.context['n']}", text="Hi\n")

    monkeypatch.setattr(modules, "email_renderers", lambda: {"test.slow": slow})
    pks = _wave(alpha, 8)
    assert sorted(pk for _org, pk in outbox_claim_due(now=clock.now)) == pks  # leased until T0 + 30 s

    with pytest.raises(WorkerDied):
        outbox_deliver_batch(organization_id=alpha.organization.pk, message_ids=pks, clock=clock)
    died = clock.now  # T0 + 55 s: past the first lease, so only renewals kept the batch's messages

    assert seen_by_relay == [[]] * 5  # no relay took any of them while the batch ran
    assert [outbox_row(pk).state for pk in pks] == [State.SENT] * 4 + [State.PENDING] * 4
    assert len(mailoutbox) == 4
    lease = {outbox_row(pk).lease_until for pk in pks[4:]}
    (until,) = lease
    assert until > T0 + timedelta(seconds=30)  # renewed
    assert until - died <= timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)

    assert outbox_claim_due(now=until - timedelta(seconds=1)) == []
    picked_up = sorted(pk for _org, pk in outbox_claim_due(now=until + timedelta(seconds=1)))
    assert picked_up == pks[4:]
    assert (until + timedelta(seconds=1)) - died < timedelta(minutes=1)


def test_an_organisations_rate_refills_with_the_minutes_and_holds_across_claims(alpha, clock, settings):
    settings.OUTBOX_RATE_PER_MINUTE = 6
    _wave(alpha, 20)

    def claim(after_seconds):
        return len(outbox_claim_due(now=T0 + timedelta(seconds=after_seconds)))

    assert claim(0) == 6  # a minute's worth at once
    assert claim(0) == 0  # another relay (another worker) at the same moment gets nothing more
    assert claim(30) == 3  # half a minute later, half a minute's worth
    assert claim(31) == 0
    assert claim(600) == 6  # never more than a minute's worth, however long it waited
