"""A version's questions as a respondent meets them: in pages (a question that starts a new page begins one), each
shown only when its condition on an earlier answer holds, and each answer checked against its question.

Pure functions over loaded questions: the response page, the preview, the invitation email and the services all
read a questionnaire the same way. A locked version's questions never change, so each process keeps the last few
versions' (`version_questions`); an unlocked version's are read every time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

from .models import Question, SurveyVersion

Answers = Mapping[str, Any]  # {"<question code>": 8 | "price" | ["price", "support"] | "text"}
TEXT_LIMITS: dict[str, int] = {Question.Kind.SHORT_TEXT: 500, Question.Kind.LONG_TEXT: 5000}


@dataclass(frozen=True)
class Questionnaire:
    questions: tuple[Question, ...]

    @classmethod
    def of(cls, questions: Sequence[Question]) -> Questionnaire:
        return cls(tuple(sorted(questions, key=lambda q: q.position)))

    @cached_property
    def pages(self) -> list[list[Question]]:
        pages: list[list[Question]] = []
        for question in self.questions:
            if not pages or (question.new_page and pages[-1]):
                pages.append([])
            pages[-1].append(question)
        return pages or [[]]

    def page(self, index: int) -> list[Question]:
        pages = self.pages
        return pages[max(0, min(index, len(pages) - 1))]

    @property
    def first(self) -> Question | None:
        return self.questions[0] if self.questions else None

    def by_code(self, code: str) -> Question | None:
        return next((q for q in self.questions if q.code == code), None)

    def shown(self, question: Question, answers: Answers) -> bool:
        """Whether the question applies, given the answers so far (a condition on an unanswered question fails)."""
        return condition_holds(question.condition, answers)

    def applicable(self, answers: Answers) -> list[Question]:
        return [q for q in self.questions if self.shown(q, answers)]

    def clean_answers(self, answers: Answers) -> dict[str, Any]:
        """Only the valid answers of questions that apply, in question order: what is stored on submission."""
        kept: dict[str, Any] = {}
        for question in self.questions:
            if question.code in answers and self.shown(question, kept):
                value = clean_value(question, answers[question.code])
                if value not in (None, "", []):
                    kept[question.code] = value
        return kept

    def missing_required(self, answers: Answers) -> list[Question]:
        cleaned = self.clean_answers(answers)
        return [q for q in self.applicable(cleaned) if q.required and q.code not in cleaned]


def version_questions(version: SurveyVersion) -> tuple[Question, ...]:
    """A version's questions by position; a locked version's from this process's memory after the first read (the
    instances are shared: read them, never change them)."""
    if version.locked_at is None:
        return _questions(version.organization_id, version.pk)
    return _locked_questions(version.organization_id, version.pk, version.locked_at)


@lru_cache(maxsize=256)
def _locked_questions(organization_id: int, version_id: int, locked_at: datetime) -> tuple[Question, ...]:
    return _questions(organization_id, version_id)  # locked_at in the key: a version re-created never reads stale


def _questions(organization_id: int, version_id: int) -> tuple[Question, ...]:
    questions = Question.objects.filter(organization_id=organization_id, version_id=version_id).order_by("position")
    return tuple(questions)


def condition_holds(condition: Mapping[str, Any] | None, answers: Answers) -> bool:
    if not condition:
        return True
    answer = answers.get(condition.get("question", ""))
    if answer in (None, "", []):
        return False
    op, value = condition.get("op"), condition.get("value")
    given = answer if isinstance(answer, list) else [answer]
    if op == Question.Operator.EQUALS:
        return any(_same(item, value) for item in given)
    if op == Question.Operator.IN:
        wanted = value if isinstance(value, list) else [value]
        return any(_same(item, w) for item in given for w in wanted)
    if op in (Question.Operator.AT_MOST, Question.Operator.AT_LEAST):
        try:
            number, bound = int(answer), int(value)  # type: ignore[arg-type]  # scored answers are ints
        except (TypeError, ValueError):
            return False
        return number <= bound if op == Question.Operator.AT_MOST else number >= bound
    return False


def _same(answer: Any, value: Any) -> bool:
    return str(answer) == str(value)


def clean_value(question: Question, raw: Any) -> Any:
    """The answer as stored (an int score, a choice's value, a list of values, a trimmed text), or None."""
    if question.kind in Question.SCORED:
        low, high = question.scale or (0, 0)
        try:
            number = int(raw)
        except (TypeError, ValueError):
            return None
        return number if low <= number <= high else None
    values = {c["value"] for c in question.choices or []}
    if question.kind == Question.Kind.SINGLE:
        return raw if isinstance(raw, str) and raw in values else None
    if question.kind == Question.Kind.MULTIPLE:
        items = raw if isinstance(raw, list) else [raw]
        order = [c["value"] for c in question.choices or []]
        return [value for value in order if value in items]
    if isinstance(raw, str):
        return raw.strip()[: TEXT_LIMITS.get(question.kind, 500)] or None
    return None
