"""The surveys' API: surveys and versions read, sends created and followed, the transactional invitation."""

import json

import pytest

from surveys.models import Answer, Invitation, SurveySend
from surveys.scoring import nps
from tests.api_client import events
from tests.factories import ResponseFactory
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db


def _invite(client, survey, body, key=None):
    headers = {**client.headers, **({"Idempotency-Key": key} if key else {})}
    return client.client.post(
        client.url(f"surveys/{survey.pk}/sends/"), json.dumps(body), content_type="application/json",
        headers=headers,
    )  # fmt: skip


def test_staff_read_surveys_and_a_versions_questions(alpha, api):
    survey = build_survey(alpha.organization)
    client = api(alpha, "staff")
    listed = client.get("surveys/").json()
    assert [s["reference"] for s in listed["results"]] == [survey.reference]
    version = client.get(f"surveys/{survey.pk}/versions/1/").json()
    assert [q["code"] for q in version["questions"]] == ["nps", "why", "fix", "more"]
    assert version["questions"][2]["condition"] == {"question": "nps", "op": "at_most", "value": 6}


def test_a_manager_sends_to_a_segment_and_follows_its_progress(alpha, api, contacts):
    survey = build_survey(alpha.organization)
    contacts(3)
    client = api(alpha, "manager")
    created = client.post(f"surveys/{survey.pk}/sends/", {"segment": "Key accounts"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["invited"] == 3 and body["progress"]["waiting"] == 3 and body["progress"]["answered"] == 0
    again = client.get(f"sends/{body['id']}/").json()
    assert again["progress"] == body["progress"]
    assert [e.changes["invited"][1] for e in events(alpha, "survey.send")] == [3]


def test_staff_cannot_send(alpha, api, contacts):
    survey = build_survey(alpha.organization)
    contacts(1)
    assert api(alpha, "staff").post(f"surveys/{survey.pk}/sends/", {"segment": "Key accounts"}).status_code == 403


def test_a_send_names_an_audience(alpha, api):
    survey = build_survey(alpha.organization)
    refused = api(alpha, "manager").post(f"surveys/{survey.pk}/sends/", {})
    assert refused.status_code == 400 and "segment" in refused.content.decode()


def test_the_translation_gate_is_a_400_naming_the_missing_texts(alpha, api, contacts):
    survey = build_survey(alpha.organization)
    contacts(1, preferred_language="de")
    refused = api(alpha, "manager").post(f"surveys/{survey.pk}/sends/", {"segment": "Key accounts"})
    assert refused.status_code == 400 and "q.nps.text" in refused.content.decode()


def test_a_crm_retrying_the_transactional_call_invites_the_contact_once(alpha, api, contacts):
    survey = build_survey(alpha.organization)
    person = contacts(1)[0]
    client = api(alpha, "manager")
    first = _invite(client, survey, {"contact": person.pk}, key="order-1001")
    assert first.status_code == 201, first.content
    retry = _invite(client, survey, {"contact": person.pk}, key="order-1001")
    assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    assert first.json()["kind"] == "transactional" and first.json()["campaign"] == ""
    with alpha.context():
        assert Invitation.objects.filter(contact=person).count() == 1
        assert SurveySend.objects.count() == 1


def test_another_organisations_contact_is_unknown_to_the_transactional_call(alpha, bravo, api, contacts):
    survey = build_survey(alpha.organization)
    from tests.factories import ContactFactory, CustomerFactory

    stranger = ContactFactory(customer=CustomerFactory(organization=bravo.organization))
    refused = _invite(api(alpha, "manager"), survey, {"contact": stranger.pk})
    assert refused.status_code == 400 and "No contact with id" in refused.content.decode()


def test_another_organisations_survey_is_a_404(alpha, bravo, api):
    survey = build_survey(bravo.organization)
    client = api(alpha, "manager")
    assert client.get(f"surveys/{survey.pk}/").status_code == 404
    assert client.get(f"surveys/{survey.pk}/sends/").status_code == 404
    assert client.post(f"surveys/{survey.pk}/sends/", {"segment": "x"}).status_code == 404


def test_another_organisations_customer_is_unknown_to_a_send(alpha, bravo, api):
    from tests.factories import CustomerFactory

    survey = build_survey(alpha.organization)
    stranger = CustomerFactory(organization=bravo.organization)
    refused = api(alpha, "manager").post(f"surveys/{survey.pk}/sends/", {"customer": stranger.pk})
    assert refused.status_code == 400 and "No customer with id" in refused.content.decode()


def test_a_surveys_summary_gives_each_score_with_its_interval(alpha, api):
    survey = build_survey(alpha.organization, questions=[{"code": "nps", "kind": "nps", "text": "Recommend?"}])
    with alpha.context():
        version = survey.versions.get()
        question = version.questions.get()
        for score in (10, 9, 8, 3):
            response = ResponseFactory(version=version)
            Answer.objects.create(organization=alpha.organization, response=response, question=question, number=score)
    body = api(alpha, "auditor").get(f"surveys/{survey.pk}/summary/").json()
    [nps_score] = body["questions"]
    expected = nps(promoters=2, passives=1, detractors=1)
    assert nps_score["distribution"] == {"10": 1, "9": 1, "8": 1, "3": 1} and nps_score["n"] == 4
    assert nps_score["score"]["value"] == pytest.approx(expected.value)
    assert nps_score["score"]["margin"] == pytest.approx(expected.margin) and nps_score["score"]["too_few"]
