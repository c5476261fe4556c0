"""The customer's answer costs a fixed number of statements, whatever the number of questions: the link's
organisation (on PostgreSQL with the crossing that finds it), the invitation with its survey, version and
follow-up rules in one SELECT, the questions (on submission a locked version's are already in memory), and on
PostgreSQL one statement for the compare-and-swap, the partial answers' deletion and the response with all its
answers (elsewhere the compare-and-swap, the deletion, the response and its answers apart)."""

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
    # the context's setting ahead of the invitation with the rest and the rules in one statement, (then the claim
    # with the response and its answers). SQLite asks for the link's organisation apart, and claims, deletes the
    # partial answers, writes the response and its answers in statements of their own.
    assert small == {"postgresql": (6, 6), "sqlite": (6, 9)}[connection.vendor]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements of PostgreSQL")
def test_answers_over_a_persistent_connection_go_through_prepared_statements_and_are_all_recorded(
    alpha, contacts, client, monkeypatch
):
    """From the second answer on one connection, the link's organisation, the invitation's read, and the claim with
    the response run as prepared statements (qms.tenancy.sql.execute): the same answers, recorded the same."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    survey = build_survey(alpha.organization, questions=_questions(3), name="Prepared")
    with alpha.context():
        send = survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[c.pk for c in contacts(4)]))  # fmt: skip
        tokens = [i.message.context["token"] for i in Invitation.objects.select_related("message").filter(send=send)]
    executed = []
    for n, token in enumerate(tokens):
        url = reverse("links:survey_response", kwargs={"token": token})
        data = {"page": "0", "action": "submit", "q_nps": str(n + 5), "q_t0": f"fine {n}", "q_t1": ""}
        with CaptureQueriesContext(connection) as answer:
            assert client.post(url, data).status_code == 302
        executed.append(sum("EXECUTE qms_" in query["sql"] for query in answer.captured_queries))
        assert client.post(url, data).status_code == 200  # the second submission: "already answered"
    assert executed[-1] >= 3, executed  # the organisation, the invitation, the claim with the response
    with alpha.context():
        responses = Response.objects.filter(survey=survey).order_by("pk")
        assert [(r.answers.get(question__code="nps").number, r.answers.get(question__code="t0").text)
                for r in responses] == [(n + 5, f"fine {n}") for n in range(4)]  # fmt: skip
        assert {r.invitation.token_hash for r in responses} == set(Invitation.objects.filter(send=send).values_list(
            "token_hash", flat=True))  # fmt: skip
