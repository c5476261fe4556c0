"""Answers prove their integrity without one lock per organisation: a digest per response, sealed per survey."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from qms.audit.models import AuditEvent
from surveys.models import Answer, Invitation, Response, ResponseSeal
from surveys.services.integrity import responses_seal, responses_verify
from surveys.services.sending import contacts_for, survey_send
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db
QUESTIONS = [
    {"code": "nps", "kind": "nps", "text": "Recommend?", "required": True},
    {"code": "why", "kind": "long_text", "text": "Why?"},
    {
        "code": "fix",
        "kind": "multiple",
        "text": "Fix?",
        "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}],
    },
]


@pytest.fixture
def answered(alpha, contacts, client):
    survey = build_survey(alpha.organization, questions=QUESTIONS)
    people = contacts(3)
    with alpha.context():
        send = survey_send(survey=survey, actor=alpha.manager, contacts=contacts_for(
            organization=alpha.organization, contact_ids=[p.pk for p in people]))  # fmt: skip
        tokens = [i.message.context["token"] for i in Invitation.objects.select_related("message").filter(send=send)]
    events = AuditEvent.objects.count
    with alpha.context():
        before = events()
    for n, token in enumerate(tokens):
        link = reverse("links:survey_response", kwargs={"token": token})
        client.post(
            link, {"page": "0", "action": "submit", "q_nps": str(n), "q_why": f"reason {n}", "q_fix": ["b", "a"]}
        )
    with alpha.context():
        assert events() == before  # answering wrote no audit event: no organisation-wide chain lock per answer
    return survey


def _verify(alpha):
    with alpha.context():
        return responses_verify(organization=alpha.organization)


def test_responses_are_sealed_in_one_chain_per_survey_and_verify(alpha, answered):
    with alpha.context():
        assert responses_seal(organization=alpha.organization) == 3
        assert responses_seal(organization=alpha.organization) == 0
        seal = ResponseSeal.objects.get()
        assert (seal.seq, seal.count) == (1, 3) and not Response.objects.filter(seal__isnull=True).exists()
    result = _verify(alpha)
    assert result.ok and (result.responses, result.unsealed) == (3, 0)
    call_command("verify_responses", "--org", "alpha")


def test_an_answer_changed_after_the_fact_is_found(alpha, answered):
    with alpha.context():
        responses_seal(organization=alpha.organization)
        Answer.objects.filter(question__code="nps", number=0).update(number=10)
    result = _verify(alpha)
    assert not result.ok and "differs from its digest" in result.problems[0]
    with pytest.raises(CommandError):
        call_command("verify_responses", "--org", "alpha")


def test_a_response_removed_after_its_seal_is_found(alpha, answered):
    with alpha.context():
        responses_seal(organization=alpha.organization)
        gone = Response.objects.order_by("pk").first()
        Answer.objects.filter(response=gone).delete()
        gone.delete()
    assert "lost responses" in _verify(alpha).problems[0]


def test_a_response_erased_on_request_counts_as_erased_not_as_tampered(alpha, answered):
    with alpha.context():
        responses_seal(organization=alpha.organization)
        erased = Response.objects.order_by("pk").first()
        Answer.objects.filter(response=erased, question__code="why").update(text="[erased]")
        Response.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
    result = _verify(alpha)
    assert result.ok and result.erased == 1
