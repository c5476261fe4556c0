"""The integrity of customers' answers, proven without serialising them behind one lock.

Each response carries the SHA-256 of its canonical content, written with it (surveys.services.answering). Sealing,
periodic and per survey, chains what arrived since the last seal: `hash = sha256(prev_hash || id:digest ...)` over
the new responses in id order, and marks them sealed. Answering never waits for it; the survey's chain is locked
only by the job that seals it. `verify_responses` recomputes every digest from the stored answers and every seal
from its responses: a response changed, removed or slipped in after its seal shows up.

A response erased at a contact's request no longer matches its digest, by design: verification counts it as
erased rather than tampered with (its seal still holds, since a seal covers the digests).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import connection, transaction
from django_scopes import scopes_disabled

from qms.tenancy.crossings import crossing_ids
from qms.tenancy.models import Organization
from surveys.models import Answer, Question, Response, ResponseSeal, Survey

from .responses import answer_value, response_content, response_digest

GENESIS = "0" * 64
ORGANIZATIONS_WITH_UNSEALED = """
CREATE OR REPLACE FUNCTION app_organizations_with_unsealed_responses() RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT DISTINCT organization_id FROM surveys_response WHERE seal_id IS NULL
$$
"""


def organizations_with_unsealed() -> list[int]:
    if connection.vendor == "postgresql":
        return crossing_ids("SELECT app_organizations_with_unsealed_responses()")
    with scopes_disabled():
        return sorted(set(Response.objects.filter(seal__isnull=True).values_list("organization_id", flat=True)))


def seal_hash(prev_hash: str, members: list[tuple[int, str]]) -> str:
    body = prev_hash + "".join(f"|{pk}:{digest}" for pk, digest in members)
    return hashlib.sha256(body.encode()).hexdigest()


def responses_seal(*, organization: Organization, limit: int = 5000) -> int:
    """Seal every survey's unsealed responses (up to `limit` per survey and run); how many were sealed."""
    sealed = 0
    surveys = Response.objects.filter(organization=organization, seal__isnull=True).values_list("survey_id", flat=True)
    for survey_id in sorted(set(surveys)):
        with transaction.atomic():
            survey = Survey.objects.select_for_update().get(organization=organization, pk=survey_id)
            last = ResponseSeal.objects.filter(organization=organization, survey=survey).order_by("-seq").first()
            members = list(
                Response.objects.filter(organization=organization, survey=survey, seal__isnull=True)
                .order_by("pk")
                .values_list("pk", "digest")[:limit]
            )
            if not members:
                continue
            seal = ResponseSeal.objects.create(
                organization=organization,
                survey=survey,
                seq=(last.seq + 1) if last else 1,
                count=len(members),
                prev_hash=last.hash if last else GENESIS,
                hash=seal_hash(last.hash if last else GENESIS, members),
            )
            Response.objects.filter(organization=organization, pk__in=[pk for pk, _ in members]).update(seal=seal)
            sealed += len(members)
    return sealed


@dataclass
class Verification:
    responses: int = 0
    unsealed: int = 0
    erased: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def stored_content(response: Response, answers: list[Answer], questions: dict[int, Question]) -> dict:
    """A response's content as its digest was computed, read back from the stored rows."""
    given = {questions[a.question_id].code: answer_value(a, questions[a.question_id]) for a in answers}
    return response_content(response, given)


def responses_verify(*, organization: Organization) -> Verification:
    result = Verification()
    for survey in Survey.objects.filter(organization=organization).order_by("pk"):
        _verify_survey(organization, survey, result)
    return result


def _verify_survey(organization: Organization, survey: Survey, result: Verification) -> None:
    questions = {q.pk: q for q in Question.objects.filter(organization=organization, version__survey=survey)}
    answers: dict[int, list[Answer]] = {}
    for answer in Answer.objects.filter(organization=organization, response__survey=survey).order_by("pk"):
        answers.setdefault(answer.response_id, []).append(answer)
    responses = list(Response.objects.filter(organization=organization, survey=survey).order_by("pk"))
    by_seal: dict[int, list[tuple[int, str]]] = {}
    for response in responses:
        result.responses += 1
        if response.seal_id is None:
            result.unsealed += 1
        else:
            by_seal.setdefault(response.seal_id, []).append((response.pk, response.digest))
        content = stored_content(response, answers.get(response.pk, []), questions)
        if response_digest(content) != response.digest:
            if response.erased_at is not None:
                result.erased += 1
            else:
                result.problems.append(f"{survey.reference}: response #{response.pk} differs from its digest")
    previous = GENESIS
    seals = ResponseSeal.objects.filter(organization=organization, survey=survey).order_by("seq")
    for expected, seal in enumerate(seals, start=1):
        members = by_seal.get(seal.pk, [])
        if seal.seq != expected or seal.prev_hash != previous or len(members) != seal.count:
            result.problems.append(f"{survey.reference}: seal {seal.seq} does not follow the chain or lost responses")
        elif seal_hash(previous, members) != seal.hash:
            result.problems.append(f"{survey.reference}: seal {seal.seq} does not match its responses")
        previous = seal.hash
