"""A survey link names its own organisation: alpha's token shows alpha's survey only, in alpha's context; a token
guessed at gets the same page as an unknown one, and so does every link from an address that guesses too often."""

import pytest
from django.urls import reverse

from surveys.models import Invitation, Response
from surveys.services.sending import contacts_for, survey_send
from tests.factories import ContactFactory, CustomerFactory
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db


def _link(tenant, text):
    survey = build_survey(tenant.organization, name=f"{text} survey", questions=[
        {"code": "nps", "kind": "nps", "text": f"{text} question", "required": True}])  # fmt: skip
    person = ContactFactory(customer=CustomerFactory(organization=tenant.organization))
    with tenant.context():
        send = survey_send(survey=survey, actor=tenant.manager, contacts=contacts_for(
            organization=tenant.organization, contact_ids=[person.pk]))  # fmt: skip
        return Invitation.objects.select_related("message").get(send=send).message.context["token"]


def test_each_token_shows_its_own_organisations_survey_and_records_there(alpha, bravo, client):
    alpha_token, bravo_token = _link(alpha, "Alpha secret"), _link(bravo, "Bravo secret")
    alpha_page = client.get(reverse("links:survey_response", kwargs={"token": alpha_token})).content.decode()
    assert "Alpha secret question" in alpha_page and "Bravo" not in alpha_page
    for name in ("survey_response", "survey_unsubscribe"):
        page = client.get(reverse(f"links:{name}", kwargs={"token": alpha_token})).content.decode()
        assert bravo.organization.name not in page and "Bravo secret" not in page
    client.post(reverse("links:survey_response", kwargs={"token": bravo_token}), {"page": "0", "action": "submit",
                                                                                   "q_nps": "7"})  # fmt: skip
    with alpha.context():
        assert not Response.objects.exists()
    with bravo.context():
        assert Response.objects.count() == 1


def test_a_guessed_token_gets_the_unknown_link_page_and_so_does_every_link_after_too_many(alpha, client, settings):
    settings.PUBLIC_LINK_MISSES_PER_HOUR = 3
    token = _link(alpha, "Alpha")
    unknown = client.get(reverse("links:survey_response", kwargs={"token": "a" * 22}))
    assert unknown.status_code == 404
    for n in range(4):
        client.get(reverse("links:survey_unsubscribe", kwargs={"token": f"guess{n:017d}"}))
    blocked = client.get(reverse("links:survey_response", kwargs={"token": token}))
    assert blocked.status_code == 404 and blocked.content == unknown.content  # nothing tells a right guess apart
