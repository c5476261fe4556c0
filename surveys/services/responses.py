"""How a response is written and what its digest covers: one place for the answering path, the anonymous
release and the integrity check, so that what is sealed is exactly what is stored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from customers.models import Contact
from qms.tenancy.models import Organization
from qms.tenancy.sql import insert_with_children
from surveys.models import Answer, Invitation, LoopRule, Question, Response, SurveyVersion

from .loop import follow_up_match


def response_content(response: Response, answers: Mapping[str, Any]) -> dict[str, Any]:
    """What a response's digest covers: its own fields and its answers by question code."""
    return {
        "survey": response.survey_id,
        "version": response.version_id,
        "source": response.source,
        "language": response.language,
        "submitted_on": response.submitted_on,
        "attributes": dict(response.attributes),
        "answers": dict(answers),
        "invitation": response.invitation_id,
        "contact": response.contact_id,
    }


def response_digest(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def response_record(
    *,
    organization: Organization,
    version: SurveyVersion,
    questions: tuple[Question, ...],
    source: str,
    language: str,
    submitted_on: Any,
    attributes: Mapping[str, Any],
    answers: Mapping[str, Any],
    submitted_at: datetime | None = None,
    invitation: Invitation | None = None,
    contact: Contact | None = None,
    rules: Sequence[LoopRule] | None = None,
    provided: tuple[str, Sequence[Any]] | None = None,
) -> Response | None:
    """Write one response and its answers (one hand-written statement on PostgreSQL: every answer makes it), with
    the digest of its content, and its follow-up when it meets one of the survey's rules (surveys.services.loop;
    `rules` when they were read already). On PostgreSQL, `provided` is a write that decides in the same statement
    whether the response is written (qms.tenancy.sql.insert_with_children): None when it was not."""
    response = Response(
        organization=organization,
        survey_id=version.survey_id,
        version=version,
        send_id=invitation.send_id if invitation else None,
        invitation=invitation,
        contact=contact,
        source=source,
        language=language,
        submitted_on=submitted_on,
        submitted_at=submitted_at,
        attributes=dict(attributes),
    )
    response.digest = response_digest(response_content(response, answers))
    columns = ("organization_id", "survey_id", "version_id", "send_id", "invitation_id", "contact_id", "source")
    row = {name: getattr(response, name) for name in (*columns, "language", "submitted_on", "submitted_at")}
    row |= {"attributes": response.attributes, "digest": response.digest, "seal_id": None, "erased_at": None}
    by_code = {q.code: q for q in questions}
    given = [_answer(organization, by_code[code], value) for code, value in answers.items() if code in by_code]
    written = insert_with_children(Response, row, Answer, "response_id", given, provided=provided)
    if written is None:  # what was to provide for it did not (the invitation was answered meanwhile)
        return None
    response.pk = written
    response._state.adding, response._state.db = False, connection.alias
    follow_up_match(response=response, answers=answers, rules=rules)
    return response


def _answer(organization: Organization, question: Question, value: Any) -> dict[str, Any]:
    """An answer's row but its response: the score, the choices, or the text (the inverse of `answer_value`)."""
    row: dict[str, Any] = {"organization_id": organization.pk, "question_id": question.pk}
    row |= {"number": None, "text": "", "choices": []}
    if question.kind in Question.SCORED:
        row["number"] = int(value)
    elif question.kind == Question.Kind.MULTIPLE:
        row["choices"] = list(value)
    else:
        row["text"] = str(value)
    return row


def answer_value(answer: Answer, question: Question) -> Any:
    """An answer as it was given: the score, the choices, or the text (the inverse of `_answer`)."""
    if question.kind in Question.SCORED:
        return answer.number
    if question.kind == Question.Kind.MULTIPLE:
        return list(answer.choices)
    return answer.text
