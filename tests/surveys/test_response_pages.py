"""The manager's responses list and a response's page: every answer as the customer chose it, options by their
labels in the survey's language, the customer's own words in theirs; another organisation's response is not found."""

import pytest
from django.test import Client
from django.urls import reverse

from surveys.models import Invitation, Response
from surveys.services.sending import contacts_for, survey_send
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db

QUESTIONS = [
    {"code": "channel", "kind": "single", "text": "How did you order?", "required": True,
     "choices": [{"value": "web_shop", "label": "Our web shop"}, {"value": "phone", "label": "By phone"}]},
    {"code": "fix", "kind": "multiple", "text": "What should we improve?",
     "choices": [{"value": "price", "label": "Price"}, {"value": "lead_time", "label": "Lead time"}]},
    {"code": "more", "kind": "short_text", "text": "Anything else?"},
]  # fmt: skip


@pytest.fixture
def answered(alpha, contacts):
    survey = build_survey(alpha.organization, questions=QUESTIONS)
    person = contacts(1)[0]
    with alpha.context():
        send = survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[person.pk]))  # fmt: skip
        token = Invitation.objects.select_related("message").get(send=send).message.context["token"]
    Client().post(reverse("links:survey_response", kwargs={"token": token}), {
        "page": "0", "action": "submit", "q_channel": "web_shop", "q_fix": ["price", "lead_time"], "q_more": "Gut",
    })  # fmt: skip
    with alpha.context():
        return survey, Response.objects.get(survey=survey)


def test_the_list_shows_a_chosen_option_by_its_label(alpha, login, answered):
    survey, _response = answered
    html = login(alpha.manager).get(f"/o/alpha/surveys/{survey.pk}/responses/").content.decode()
    assert '<span lang="en">Our web shop</span>' in html and "web_shop" not in html


def test_the_response_shows_each_option_by_its_label_and_the_customers_words_in_their_language(alpha, login, answered):
    survey, response = answered
    html = login(alpha.manager).get(f"/o/alpha/surveys/{survey.pk}/responses/{response.pk}/").content.decode()
    assert '<span lang="en">Our web shop</span>' in html and '<span lang="en">Price, Lead time</span>' in html
    assert f'lang="{response.language}">Gut</span>' in html
    assert "web_shop" not in html and "lead_time" not in html


def test_another_organisations_response_is_not_found(alpha, bravo, login, answered):
    survey, response = answered
    assert login(bravo.manager).get(f"/o/bravo/surveys/{survey.pk}/responses/{response.pk}/").status_code == 404
