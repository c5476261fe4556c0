"""A contact's export lists their invitations and identified answers; their erasure reaches them too, and an
anonymous survey's answers hold nothing that points to them."""

import json

import pytest
from django.urls import reverse

from surveys.models import AnonymousSubmission, Answer, Invitation, PartialResponse, Response
from surveys.services.sending import contacts_for, survey_send
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db
NAME, EMAIL = "Ada Lovelace", "ada@lovelace.example"


@pytest.fixture
def ada(alpha, contacts):
    return contacts(1, name=NAME, email=EMAIL)[0]


def _answer(alpha, client, survey, contact, **answers):
    with alpha.context():
        send = survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[contact.pk]))  # fmt: skip
        token = Invitation.objects.select_related("message").get(send=send).message.context["token"]
    link = reverse("links:survey_response", kwargs={"token": token})
    client.post(link, {"page": "0", "action": "submit", **answers})
    return token


def test_the_export_lists_invitations_and_identified_answers(alpha, login, ada, client):
    survey = build_survey(alpha.organization, questions=[
        {"code": "nps", "kind": "nps", "text": "Recommend?", "required": True},
        {"code": "why", "kind": "long_text", "text": "Why?"}])  # fmt: skip
    _answer(alpha, client, survey, ada, q_nps="3", q_why="Ada Lovelace says the gearbox failed")
    sections = json.dumps(json.loads(login(alpha.manager).get(f"/o/alpha/contacts/{ada.pk}/export.json").content))
    assert (
        survey.reference in sections and "Ada Lovelace says the gearbox failed" in sections and "Recommend?" in sections
    )


def test_erasure_scrubs_their_text_answers_keeps_the_scores_and_deletes_answers_begun(alpha, login, ada, client):
    survey = build_survey(alpha.organization, questions=[
        {"code": "nps", "kind": "nps", "text": "Recommend?", "required": True},
        {"code": "why", "kind": "long_text", "text": "Why?"}])  # fmt: skip
    _answer(alpha, client, survey, ada, q_nps="3", q_why=f"Write to {EMAIL}, {NAME} here")
    begun_survey = build_survey(alpha.organization)
    with alpha.context():
        send = survey_send(survey=begun_survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[ada.pk]))  # fmt: skip
        token = Invitation.objects.select_related("message").get(send=send).message.context["token"]
    client.post(reverse("links:survey_response", kwargs={"token": token}),
                {"page": "0", "action": "next", "q_nps": "5", "q_why": f"{NAME} again"})  # fmt: skip
    with alpha.context():
        assert PartialResponse.objects.count() == 1
    assert login(alpha.owner).post(f"/o/alpha/contacts/{ada.pk}/erase/").status_code == 302
    with alpha.context():
        response = Response.objects.get(survey=survey)
        texts = {a.question.code: (a.number, a.text) for a in Answer.objects.filter(response=response)}
        assert texts["nps"] == (3, "")
        assert EMAIL not in texts["why"][1] and NAME not in texts["why"][1] and "here" in texts["why"][1]
        assert response.erased_at is not None
        assert not PartialResponse.objects.exists()


def test_an_anonymous_answer_holds_nothing_that_points_to_the_contact(alpha, ada, client):
    survey = build_survey(alpha.organization, privacy="anonymous", anonymity_threshold=2, questions=[
        {"code": "why", "kind": "long_text", "text": "Why?", "required": True}])  # fmt: skip
    _answer(alpha, client, survey, ada, q_why="slow")
    with alpha.context():
        waiting = AnonymousSubmission.objects.get()
        assert waiting.attributes == {"language": "en"} or waiting.attributes == {}
        assert waiting.answers == {"why": "slow"}
    held = {f.name for f in AnonymousSubmission._meta.concrete_fields} | {f.name for f in Response._meta.fields}
    pointers = {f.name for f in AnonymousSubmission._meta.concrete_fields if f.is_relation}
    assert pointers == {"organization", "survey", "version"}  # no invitation, no contact, nothing else
    assert "submitted_at" not in {f.name for f in AnonymousSubmission._meta.concrete_fields} and held
