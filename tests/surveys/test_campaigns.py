"""Campaigns as the services run them: launch checks, waves built once whatever the number of beats, exclusions
counted and listed, a wave spread over days, reminders to non-respondents only, pause, resume and cancel."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from customers.models import Contact
from qms.outbox.models import OutboxMessage
from surveys.models import Campaign, CampaignExclusion, CampaignMember, CampaignStep, Invitation, SurveySend
from surveys.selectors.campaigns import campaign_progress
from surveys.services.campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_launch,
    campaign_pause,
    campaign_preview,
    campaign_resume,
    members_add,
    outreach_rule_update,
    steps_run,
)
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.builders import GERMAN, build_survey

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, a Monday
Mail = OutboxMessage.State
REMINDER = {"after_days": 4, "subject": {"en": "Still time to tell us"}, "body": {"en": "Two minutes, please."}}


def _contacts(tenant, n, *, segment="Retail", **fields):
    customer = CustomerFactory(organization=tenant.organization, segment=segment)
    return [ContactFactory(customer=customer, **fields) for _ in range(n)]


def _campaign(tenant, survey, **fields):
    values = {"name": "Quarterly NPS", "survey": survey, "audience": "segment", "audience_value": "Retail",
              "every": "once", "start_on": date(2027, 3, 1), "at": time(9, 0), "expiry_days": 30} | fields  # fmt: skip
    with tenant.context():
        return campaign_create(organization=tenant.organization, actor=tenant.manager, **values)


def _run(tenant, now):
    with tenant.context():
        return steps_run(organization=tenant.organization, now=now)


def _launched(tenant, survey, *, now=T0 - timedelta(hours=1), **fields):
    campaign = _campaign(tenant, survey, **fields)
    with tenant.context():
        return campaign_launch(campaign=campaign, actor=tenant.manager, now=now)


@pytest.fixture
def survey(alpha):
    alpha.organization.time_zone = "Europe/Berlin"
    alpha.organization.save(update_fields=["time_zone"])
    return build_survey(alpha.organization)


def test_a_launched_wave_invites_each_contact_once_however_many_beats_run(alpha, survey):
    contacts = _contacts(alpha, 5)
    campaign = _launched(alpha, survey)
    assert campaign.status == Campaign.Status.RUNNING
    assert _run(alpha, T0 - timedelta(minutes=1)) == 0  # not due yet
    assert _run(alpha, T0) == 1
    assert _run(alpha, T0 + timedelta(minutes=1)) == 0  # a second beat finds it done
    with alpha.context():
        send = SurveySend.objects.get(campaign=campaign)
        assert send.kind == SurveySend.Kind.CAMPAIGN and send.invited == 5
        invited = Invitation.objects.filter(send=send)
        assert sorted(invited.values_list("contact_id", flat=True)) == sorted(c.pk for c in contacts)
        messages = OutboxMessage.objects.filter(pk__in=invited.values("message_id"))
        assert {m.context["campaign"] for m in messages} == {campaign.pk}
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.RUNNING  # its links are still open
    assert _run(alpha, T0 + timedelta(days=30)) == 1  # they expire: nothing is left to do
    with alpha.context():
        campaign.refresh_from_db()
        assert campaign.status == Campaign.Status.FINISHED


def test_the_wave_lands_at_the_local_hour_after_the_clocks_change(alpha, survey):
    _contacts(alpha, 1)
    # Monthly from 1 March at 09:00 Berlin: March is winter time (08:00 UTC), April summer time (07:00 UTC).
    campaign = _launched(alpha, survey, every="monthly")
    _run(alpha, T0)
    with alpha.context():
        following = CampaignStep.objects.get(campaign=campaign, kind="wave", wave=2)
    assert following.due_at == datetime(2027, 4, 1, 7, 0, tzinfo=UTC)


def test_exclusions_are_counted_and_listed_with_their_reasons(alpha, survey):
    fine = _contacts(alpha, 2)
    (opted_out,) = _contacts(alpha, 1, consent=Contact.Consent.OPTED_OUT)
    (no_email,) = _contacts(alpha, 1, email="")
    (german,) = _contacts(alpha, 1, preferred_language="de")
    (tired,) = _contacts(alpha, 1)
    (bounced,) = _contacts(alpha, 1, undeliverable_at=T0 - timedelta(days=3), undeliverable_reason="550 no such user")
    with alpha.context():
        outreach_rule_update(organization=alpha.organization, actor=alpha.manager, campaign_days=30,
                             transactional_days=0)  # fmt: skip
    earlier = _launched(alpha, survey, audience="list", name="Earlier campaign")
    with alpha.context():
        members_add(campaign=earlier, actor=alpha.manager, contacts=[tired.pk], source="list")
    _run(alpha, T0)  # `tired` is invited on 1 March by another campaign

    campaign = _campaign(alpha, survey, start_on=date(2027, 3, 10))
    with alpha.context():
        preview = campaign_preview(campaign, now=T0 + timedelta(days=1))
    assert preview.audience.skipped == {"opted_out": 1, "no_email": 1, "language": 1, "fatigue": 1, "undeliverable": 1}
    assert sorted(pk for pk, *_rest in preview.audience.invited) == sorted(c.pk for c in fine)
    assert "de" in preview.audience.missing
    with pytest.raises(ValidationError, match="de lacks"), transaction.atomic(), alpha.context():
        campaign_launch(campaign=campaign, actor=alpha.manager, now=T0 + timedelta(days=1))

    with alpha.context():
        survey.versions.update(translations={"de": dict(GERMAN)})
        campaign_launch(campaign=campaign, actor=alpha.manager, now=T0 + timedelta(days=1))
    _run(alpha, datetime(2027, 3, 10, 8, 0, tzinfo=UTC))
    with alpha.context():
        listed = dict(CampaignExclusion.objects.filter(step__campaign=campaign).values_list("contact_id", "reason"))
        invited = set(Invitation.objects.filter(send__campaign=campaign).values_list("contact_id", flat=True))
    assert listed == {opted_out.pk: "opted_out", no_email.pk: "no_email", tired.pk: "fatigue",
                      bounced.pk: "undeliverable"}  # fmt: skip
    assert invited == {fine[0].pk, fine[1].pk, german.pk}


def test_a_wave_spread_over_days_gives_each_day_its_share_and_its_reminders(alpha, survey):
    _contacts(alpha, 5)
    campaign = _launched(alpha, survey, per_day=2, reminders=[REMINDER])
    _run(alpha, T0)
    with alpha.context():
        rows = list(
            Invitation.objects.filter(send__campaign=campaign).order_by("pk")
            .values_list("batch", "message__next_attempt_at", "expires_at")
        )  # fmt: skip
        reminders = list(
            CampaignStep.objects.filter(campaign=campaign, kind="reminder").order_by("batch")
            .values_list("batch", "due_at")
        )  # fmt: skip
    assert [batch for batch, _due, _exp in rows] == [0, 0, 1, 1, 2]
    assert [due for _b, due, _exp in rows] == [T0, T0, T0 + timedelta(days=1), T0 + timedelta(days=1),
                                               T0 + timedelta(days=2)]  # fmt: skip
    # thirty days later at the same hour where the organisation is (across the change to summer time)
    local = [(due.astimezone(BERLIN), exp.astimezone(BERLIN)) for _b, due, exp in rows]
    assert [exp.replace(tzinfo=None) - due.replace(tzinfo=None) for due, exp in local] == [timedelta(days=30)] * 5
    assert reminders == [(day, T0 + timedelta(days=4 + day)) for day in range(3)]


def test_reminders_reach_only_those_who_have_not_answered(alpha, survey):
    contacts = _contacts(alpha, 3)
    campaign = _launched(alpha, survey, reminders=[REMINDER])
    _run(alpha, T0)
    with alpha.context():
        invitations = list(Invitation.objects.filter(send__campaign=campaign).order_by("pk"))
        OutboxMessage.objects.filter(pk__in=[i.message_id for i in invitations]).update(state=Mail.SENT)
        Invitation.objects.filter(pk=invitations[0].pk).update(answered_at=T0 + timedelta(days=1))
        Contact.objects.filter(pk=contacts[1].pk).update(consent=Contact.Consent.OPTED_OUT)
    assert _run(alpha, T0 + timedelta(days=4)) == 1
    with alpha.context():
        reminded = list(
            OutboxMessage.objects.filter(context__reminder=1, context__campaign=campaign.pk).values_list(
                "to_email", "context"
            )
        )
    assert [to for to, _context in reminded] == [contacts[2].email]
    (context,) = [context for _to, context in reminded]
    assert context["subject"] == "Still time to tell us" and context["body"] == "Two minutes, please."
    assert context["token"]  # the same link as the invitation's


def test_a_paused_campaign_sends_nothing_and_resumes_without_what_it_skipped(alpha, survey):
    _contacts(alpha, 4)
    campaign = _launched(alpha, survey, per_day=2, reminders=[REMINDER])
    _run(alpha, T0)
    with alpha.context():
        campaign, held = campaign_pause(campaign=campaign, actor=alpha.manager)
    assert held == 4  # today's two (not yet sent) and tomorrow's two
    assert _run(alpha, T0 + timedelta(days=5)) == 0  # reminders due, but the campaign is paused
    with alpha.context():
        campaign, back, skipped = campaign_resume(campaign=campaign, actor=alpha.manager,
                                                  now=T0 + timedelta(hours=12))  # fmt: skip
        pending = OutboxMessage.objects.filter(context__campaign=campaign.pk, state=Mail.PENDING)
        assert list(pending.values_list("next_attempt_at", flat=True)) == [T0 + timedelta(days=1)] * 2
    assert (back, skipped) == (2, 2)  # day 1's emails still go; day 0's time passed during the pause


def test_resuming_can_send_what_the_pause_skipped(alpha, survey):
    _contacts(alpha, 2)
    campaign = _launched(alpha, survey)
    _run(alpha, T0)
    now = T0 + timedelta(days=2)
    with alpha.context():
        campaign, _held = campaign_pause(campaign=campaign, actor=alpha.manager)
        campaign, back, skipped = campaign_resume(campaign=campaign, actor=alpha.manager, send_skipped=True, now=now)
        pending = list(
            OutboxMessage.objects.filter(context__campaign=campaign.pk, state=Mail.PENDING).values_list(
                "next_attempt_at", flat=True
            )
        )
        linked = set(Invitation.objects.filter(send__campaign=campaign).values_list("message__state", flat=True))
    assert (back, skipped) == (2, 0)
    assert pending == [now, now]
    assert linked == {Mail.PENDING}  # each invitation points at its new email


def test_cancelling_withdraws_what_has_not_left_and_ends_the_schedule(alpha, survey):
    _contacts(alpha, 2)
    campaign = _launched(alpha, survey, every="monthly")
    _run(alpha, T0)
    with alpha.context():
        campaign, withdrawn = campaign_cancel(campaign=campaign, actor=alpha.manager)
        steps = set(CampaignStep.objects.filter(campaign=campaign).values_list("kind", "wave", "state"))
        revoked = Invitation.objects.filter(send__campaign=campaign, revoked_at__isnull=False).count()
    assert withdrawn == 2 and revoked == 2
    assert steps == {("wave", 1, "done"), ("wave", 2, "cancelled"), ("expiry", 1, "cancelled")}
    assert _run(alpha, datetime(2027, 4, 1, 7, 0, tzinfo=UTC)) == 0


def test_contacts_added_through_the_api_go_with_the_next_wave_once(alpha, survey):
    first, second = _contacts(alpha, 2)
    campaign = _launched(alpha, survey, audience="api", every="days", every_days=1)
    with alpha.context():
        members_add(campaign=campaign, actor=None, contacts=[first.pk], source=CampaignMember.Source.API)
    _run(alpha, T0)
    with alpha.context():
        members_add(campaign=campaign, actor=None, contacts=[second.pk], source=CampaignMember.Source.API)
    _run(alpha, T0 + timedelta(days=1))
    with alpha.context():
        waves = list(
            Invitation.objects.filter(send__campaign=campaign).order_by("pk").values_list("send__audience", "contact")
        )
    assert [(audience["wave"], contact) for audience, contact in waves] == [(1, first.pk), (2, second.pk)]


def test_launch_refuses_reminders_missing_a_language_the_audience_reads(alpha, survey):
    _contacts(alpha, 1, preferred_language="de")
    with alpha.context():
        survey.versions.update(translations={"de": dict(GERMAN)})
    campaign = _campaign(alpha, survey, reminders=[REMINDER])
    with pytest.raises(ValidationError, match=r"Reminder 1: subject \(de\)"), transaction.atomic(), alpha.context():
        campaign_launch(campaign=campaign, actor=alpha.manager, now=T0 - timedelta(hours=1))


def test_settings_that_cannot_work_are_refused_by_field(alpha, survey):
    with pytest.raises(ValidationError) as caught, alpha.context():
        campaign_create(organization=alpha.organization, actor=alpha.manager, name="x", survey=survey,
                        audience="segment", audience_value="", every="days", every_days=0, start_on=date(2027, 3, 1),
                        at=time(9), expiry_days=10, reminders=[{"after_days": 12, "subject": {"en": "s"}}])  # fmt: skip
    assert set(caught.value.message_dict) == {"audience_value", "every_days", "reminders"}


def test_a_saved_view_of_the_directory_is_read_again_at_every_wave(alpha, survey):
    from customers.services.saved_views import directory_view_create

    first = _contacts(alpha, 2, segment="Wholesale")
    _contacts(alpha, 1, segment="Retail")  # not in the view
    with alpha.context():
        view = directory_view_create(organization=alpha.organization, owner=alpha.owner, name="Wholesale",
                                     query="segment=Wholesale")  # fmt: skip
    campaign = _launched(alpha, survey, audience="saved_view", audience_value=str(view.pk), every="monthly")
    _run(alpha, T0)
    later = _contacts(alpha, 1, segment="Wholesale")  # a customer added after the view was saved
    _run(alpha, datetime(2027, 4, 1, 7, 0, tzinfo=UTC))  # the second wave, 09:00 in Berlin (summer time)
    with alpha.context():
        waves = [
            sorted(Invitation.objects.filter(send=send).values_list("contact_id", flat=True))
            for send in SurveySend.objects.filter(campaign=campaign).order_by("pk")
        ]
    assert waves == [sorted(c.pk for c in first), sorted(c.pk for c in first + later)]
    with alpha.context():  # a bounce after the waves went out shows in the campaign's progress
        Contact.objects.filter(pk=later[0].pk).update(undeliverable_at=datetime(2027, 4, 2, tzinfo=UTC))
        assert campaign_progress(campaign).counts["bounced"] == 1


def test_a_saved_view_that_is_gone_is_refused_by_name(alpha, survey):
    with pytest.raises(ValidationError) as refused, alpha.context():
        campaign_create(organization=alpha.organization, actor=alpha.manager, name="Gone", survey=survey,
                        audience="saved_view", audience_value="999999", every="once", start_on=date(2027, 3, 1),
                        at=time(9, 0), expiry_days=30)  # fmt: skip
    assert refused.value.message_dict["audience_value"] == [
        "That saved view of the directory no longer exists. Choose another."
    ]
