"""The transactional call with a campaign: the contact joins the campaign and its next wave invites them once; a
retried call adds nothing; a campaign of another survey or organisation is refused by name. Without a campaign, the
contact rule for transactional sends holds a second survey back."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from surveys.models import CampaignMember, Invitation
from surveys.services.campaigns import outreach_rule_update, steps_run
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.builders import build_survey
from tests.surveys.test_campaigns import _launched

pytestmark = pytest.mark.django_db

WAVE = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)


def _call(client, survey, body, key=None):
    headers = {**client.headers, **({"Idempotency-Key": key} if key else {})}
    return client.client.post(
        client.url(f"surveys/{survey.pk}/sends/"), json.dumps(body), content_type="application/json",
        headers=headers,
    )  # fmt: skip


def _contact(tenant):
    return ContactFactory(customer=CustomerFactory(organization=tenant.organization, segment="Retail"))


@pytest.fixture
def survey(alpha):
    alpha.organization.time_zone = "Europe/Berlin"  # the waves' hour is the organisation's: 09:00 here, 08:00 UTC
    alpha.organization.save(update_fields=["time_zone"])
    return build_survey(alpha.organization)


def test_a_contact_named_with_a_campaign_is_invited_by_its_next_wave_once(alpha, api, survey):
    campaign = _launched(alpha, survey, audience="api", audience_value="", every="days", every_days=1)
    person = _contact(alpha)
    client = api(alpha, "manager")
    first = _call(client, survey, {"contact": person.pk, "campaign": campaign.reference}, key="order-1")
    assert first.status_code == 202, first.content
    body = first.json()
    assert (body["campaign"], body["contact"], body["added"]) == (campaign.reference, person.pk, True)
    assert datetime.fromisoformat(body["next_wave_at"]) == WAVE
    retry = _call(client, survey, {"contact": person.pk, "campaign": campaign.reference}, key="order-1")
    assert retry.status_code == 200 and retry.json()["added"] is False
    with alpha.context():
        assert Invitation.objects.filter(contact=person).count() == 0  # not sent now: with the wave
        assert CampaignMember.objects.get(contact=person).source == CampaignMember.Source.API
        steps_run(organization=alpha.organization, now=WAVE)
        invitation = Invitation.objects.get(contact=person)
        assert invitation.send.campaign_id == campaign.pk and invitation.send.campaign_key == campaign.reference


def test_a_campaign_of_another_survey_or_organisation_is_refused_by_name(alpha, bravo, api, survey):
    other = _launched(alpha, build_survey(alpha.organization, name="Delivery CSAT"), audience="api", audience_value="")
    theirs = [_launched(bravo, build_survey(bravo.organization), audience="api", audience_value="") for _ in "ab"][-1]
    person = _contact(alpha)
    client = api(alpha, "manager")
    wrong = _call(client, survey, {"contact": person.pk, "campaign": other.reference})
    assert wrong.status_code == 400 and "not this survey" in wrong.json()["campaign"][0]
    assert theirs.reference != other.reference  # the other organisation's second campaign: no such one here
    stranger = _call(client, survey, {"contact": person.pk, "campaign": theirs.reference})
    assert stranger.status_code == 400
    assert stranger.json()["campaign"] == [f"There is no campaign {theirs.reference}."]
    with bravo.context():
        assert not CampaignMember.objects.exists()  # nothing reached the other organisation's campaign


def test_a_campaign_that_does_not_take_api_contacts_is_refused(alpha, api, survey):
    person = _contact(alpha)
    campaign = _launched(alpha, survey)  # a segment's campaign
    refused = _call(api(alpha, "manager"), survey, {"contact": person.pk, "campaign": campaign.reference})
    assert refused.status_code == 400
    assert refused.json()["campaign"] == [f"Campaign {campaign.reference} does not take contacts through the API."]


def test_the_contact_rule_holds_a_second_transactional_survey_back(alpha, api, survey):
    with alpha.context():
        outreach_rule_update(organization=alpha.organization, actor=alpha.manager, campaign_days=30,
                             transactional_days=14)  # fmt: skip
    person = _contact(alpha)
    client = api(alpha, "manager")
    assert _call(client, survey, {"contact": person.pk}, key="order-1").status_code == 201
    held = _call(client, survey, {"contact": person.pk}, key="order-2")
    assert held.status_code == 409
    assert "the contact rule allows one every 14 days" in held.json()["detail"]
    assert _call(client, survey, {"contact": person.pk}, key="order-1").status_code == 200  # a retry still answers
    with alpha.context():
        assert Invitation.objects.filter(contact=person).count() == 1
        Invitation.objects.filter(contact=person).update(created_at=datetime.now(UTC) - timedelta(days=15))
    assert _call(client, survey, {"contact": person.pk}, key="order-3").status_code == 201
