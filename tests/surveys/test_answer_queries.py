"""The customer's answer costs a fixed number of statements, whatever the number of questions: the link's
organisation (on PostgreSQL with the crossing that finds it), the invitation with its survey, version and
follow-up rules in one SELECT, the questions (on submission a locked version's are already in memory), the
compare-and-swap with the partial answers' deletion, and the response with all its answers in one statement."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.models import Invitation, Response
from surveys.services.sending import contacts_for, survey_send
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db


def _questions(n):
    return [{"code": "nps", "kind": "nps", "text": "Recommend?", "required": True}] + [
        {"code": f"t{i}", "kind": "short_text", "text": f"Tell us {i}"} for i in range(n - 1)
    ]


def _statements(alpha, contacts, client, n):
    survey = build_survey(alpha.organization, questions=_questions(n), name=f"{n} questions")
    person = contacts(1)[0]
    with alpha.context():
        send = survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[person.pk]))  # fmt: skip
        token = Invitation.objects.select_related("message").get(send=send).message.context["token"]
    url = reverse("links:survey_response", kwargs={"token": token})
    data = {"page": "0", "action": "submit", "q_nps": "9", **{f"q_t{i}": "fine" for i in range(n - 1)}}
    with CaptureQueriesContext(connection) as page:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as answer:
        assert client.post(url, data).status_code == 302
    with alpha.context():
        assert Response.objects.get(survey=survey).answers.count() == n
    return len(page), len(answer)


def test_showing_and_answering_take_the_same_statements_for_two_questions_or_twelve(alpha, contacts, client):
    small = _statements(alpha, contacts, client, 2)
    large = _statements(alpha, contacts, client, 12)
    assert small == large
    shown, answered = small
    # PostgreSQL, inside the test's savepoint: the organisation with the link's crossing and the address's misses,
    # the context's setting, the invitation with the rest and the rules, (then the claim, the response with its
    # answers). SQLite asks for the link's organisation apart, and deletes the partial answers and writes the
    # answers in statements of their own.
    assert small == {"postgresql": (7, 8), "sqlite": (6, 9)}[connection.vendor]
