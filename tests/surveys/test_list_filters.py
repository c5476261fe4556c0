"""A send's invitations and a survey's responses are searched and filtered like every list: by who (contact, address,
customer) and where they stand; an empty result says so and offers the way back."""

import pytest
from django.urls import reverse

from surveys.models import Invitation
from surveys.services.sending import contacts_for, survey_send
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db

ONE_PAGE = [{"code": "nps", "kind": "nps", "text": "Recommend?", "required": True}]


@pytest.fixture
def answered_send(alpha, client):
    survey = build_survey(alpha.organization, questions=ONE_PAGE)
    ada = ContactFactory(customer=CustomerFactory(organization=alpha.organization, name="Hydro Pumps"), name="Ada")
    bob = ContactFactory(customer=CustomerFactory(organization=alpha.organization, name="Valve Works"), name="Bob")
    with alpha.context():
        send = survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[ada.pk, bob.pk]))  # fmt: skip
        token = Invitation.objects.select_related("message").get(send=send, contact=ada).message.context["token"]
    client.post(reverse("links:survey_response", kwargs={"token": token}), {"page": "0", "action": "submit",
                                                                            "q_nps": "3"})  # fmt: skip
    return survey, send


def test_the_invitations_are_filtered_by_state_and_searched_by_customer(alpha, login, answered_send):
    survey, send = answered_send
    client = login(alpha.staff)
    page = f"/o/alpha/surveys/{survey.pk}/sends/{send.pk}/"
    answered = client.get(page, {"state": "answered"}).content.decode()
    assert "Ada" in answered and ">Bob<" not in answered
    waiting = client.get(page, {"state": "waiting"}).content.decode()
    assert ">Bob<" in waiting and ">Ada<" not in waiting
    assert ">Bob<" in client.get(page, {"q": "valve"}).content.decode()
    nothing = client.get(page, {"state": "revoked"}).content.decode()
    assert "No invitation matches these filters." in nothing
    assert client.get(page, {"state": "nonsense"}).status_code == 200  # an unknown value drops its own filter


def test_the_responses_are_searched_and_filtered_by_source(alpha, login, answered_send):
    survey, _send = answered_send
    client = login(alpha.auditor)
    page = f"/o/alpha/surveys/{survey.pk}/responses/"
    assert "Ada" in client.get(page, {"q": "hydro"}).content.decode()
    assert "No response matches these filters." in client.get(page, {"q": "valve"}).content.decode()
    assert "No response matches these filters." in client.get(page, {"source": "public_link"}).content.decode()
    assert "Ada" in client.get(page, {"source": "invitation", "version": "1"}).content.decode()


def test_another_organisation_finds_neither_list(alpha, bravo, login, answered_send):
    survey, send = answered_send
    outsider = login(bravo.manager)
    assert outsider.get(f"/o/bravo/surveys/{survey.pk}/sends/{send.pk}/", {"q": "Ada"}).status_code == 404
    assert outsider.get(f"/o/bravo/surveys/{survey.pk}/responses/", {"q": "Ada"}).status_code == 404
