"""/u/<token>/: a GET asks and changes nothing; the page's POST and RFC 8058's one-click POST unsubscribe at once,
and an unsubscribed contact is never invited again."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from customers.models import Contact
from surveys.models import Invitation
from surveys.services.sending import contacts_for, survey_send
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def invited(alpha, contacts):
    person = contacts(1)[0]
    survey = build_survey(alpha.organization)
    with alpha.context():
        send = survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[person.pk]))  # fmt: skip
        token = Invitation.objects.select_related("message").get(send=send).message.context["token"]
    return person, survey, reverse("links:survey_unsubscribe", kwargs={"token": token})


def _contact(alpha, person):
    with alpha.context():
        return Contact.objects.get(pk=person.pk)


def test_opening_the_unsubscribe_link_asks_and_changes_nothing(alpha, client, invited):
    person, _survey, link = invited
    page = client.get(link)
    assert page.status_code == 200 and "Yes, unsubscribe me" in page.content.decode()
    assert '<form method="post"' in page.content.decode() and "<script" not in page.content.decode().split("<body")[1]
    assert _contact(alpha, person).consent != Contact.Consent.OPTED_OUT


def test_the_one_click_post_unsubscribes_without_a_page_and_the_directory_says_how(alpha, client, invited, login):
    person, survey, link = invited
    answer = client.post(link, {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    contact = _contact(alpha, person)
    assert contact.consent == Contact.Consent.OPTED_OUT and contact.consent_source == "one_click"
    page = login(alpha.manager).get(f"/o/alpha/contacts/{person.pk}/").content.decode()
    assert "One-click unsubscribe in an email" in page
    with pytest.raises(ValidationError), transaction.atomic(), alpha.context():  # never invited again
        survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[person.pk]))  # fmt: skip


def test_the_confirmation_page_unsubscribes_and_says_so(alpha, client, invited):
    person, _survey, link = invited
    done = client.post(link, {})
    assert "You have been unsubscribed" in done.content.decode()
    assert _contact(alpha, person).consent_source == "unsubscribe_page"
    assert client.post(link, {}).status_code == 200  # twice is fine: still unsubscribed
