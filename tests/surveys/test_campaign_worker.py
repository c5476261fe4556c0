"""A campaign on the real moving parts: with Redis stopped, a due wave waits as a row and customers still answer;
once Redis is back, beat's task (run as often as beat likes) builds the wave once and a real Celery worker delivers
exactly one invitation per contact into an SMTP sink, each with its own Message-ID."""

from datetime import timedelta

import pytest
from django.utils import timezone

from qms.outbox.models import OutboxMessage
from surveys.models import CampaignStep, Invitation
from surveys.services.campaigns import campaign_create, campaign_launch
from surveys.tasks import run_campaigns_task
from tests.factories import ContactFactory, CustomerFactory
from tests.outbox.conftest import running_worker
from tests.surveys.builders import ONE_PAGE, build_survey

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_a_due_wave_waits_while_redis_is_down_and_goes_out_once_when_it_is_back(
    alpha, answer, broker, redis_server, smtp_sink
):
    survey = build_survey(alpha.organization, questions=ONE_PAGE, name="Quarterly NPS")
    customer = CustomerFactory(organization=alpha.organization, segment="Retail")
    contacts = [ContactFactory(customer=customer) for _ in range(6)]
    start = (timezone.now() - timedelta(minutes=2)).replace(second=0, microsecond=0)
    with alpha.context():
        campaign = campaign_create(
            organization=alpha.organization, actor=alpha.manager, name="Quarterly NPS", survey=survey,
            audience="segment", audience_value="Retail", every="quarterly", start_on=start.date(), at=start.time(),
            expiry_days=30,
        )  # fmt: skip
        campaign_launch(campaign=campaign, actor=alpha.manager, now=start - timedelta(hours=1))

    redis_server.stop()  # beat cannot hand its task to a worker: the wave is due, and waits as a row
    response = answer(survey, nps=9, why="Quick delivery.")  # a customer answers an earlier send all the same
    with alpha.context():
        assert response is not None and response.answers.count() == 2
        wave = CampaignStep.objects.get(campaign=campaign, kind=CampaignStep.Kind.WAVE, wave=1)
        assert wave.state == CampaignStep.State.DUE and not Invitation.objects.filter(send__campaign=campaign)

    redis_server.start()
    with running_worker(broker) as worker:
        for _beat in range(3):  # beat runs again and again (or twice at once by mistake): one wave
            run_campaigns_task.delay()
            worker.drain()
        with alpha.context():
            invited = Invitation.objects.filter(send__campaign=campaign).select_related("message")
            messages = [invitation.message for invitation in invited]
        assert sorted(invitation.contact_id for invitation in invited) == sorted(c.pk for c in contacts)
        worker.relay_until(
            lambda: all(_state(m.pk) == OutboxMessage.State.SENT for m in messages), what="the wave's invitations"
        )
        worker.relay_once_more()
        run_campaigns_task.delay()
        worker.drain()

    wave_ids = {m.message_id for m in messages}
    assert {mid: n for mid, n in smtp_sink.accepted_ids().items() if mid in wave_ids} == dict.fromkeys(wave_ids, 1)
    delivered = sorted(m["To"] for m in smtp_sink.accepted if m["Message-ID"] in wave_ids)
    assert delivered == sorted(c.email for c in contacts)
    with alpha.context():
        assert Invitation.objects.filter(send__campaign=campaign).count() == len(contacts)
        assert CampaignStep.objects.get(pk=wave.pk).state == CampaignStep.State.DONE


def _state(pk: int) -> str:
    from tests.outbox.conftest import outbox_row

    return outbox_row(pk).state
