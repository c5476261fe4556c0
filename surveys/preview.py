"""The survey's page as a customer reads it, for the editor's preview: its pages (a question that starts a new
page begins one), each question's words in the chosen language, its scale or choices, and when it is shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from surveys.models import Question, SurveyVersion
from surveys.texts import Texts

SCALE_WORDS = {
    "nps": ("ui.not_likely", "ui.very_likely"),
    "csat": ("ui.very_dissatisfied", "ui.very_satisfied"),
    "ces": ("ui.very_difficult", "ui.very_easy"),
}


@dataclass
class PreviewQuestion:
    question: Question
    number: int
    text: str
    help: str
    values: list[tuple[str, str]] = field(default_factory=list)  # a scale's scores, or the choices
    low: str = ""
    high: str = ""
    shown_when: str = ""

    @property
    def name(self) -> str:
        return f"q-{self.question.code}"


@dataclass
class Preview:
    page: int
    pages: int
    questions: list[PreviewQuestion]
    texts: Texts

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None

    def ui(self, key: str, **values: Any) -> str:
        return self.texts.ui(key, **{name: str(value) for name, value in values.items()})

    @property
    def words(self) -> dict[str, str]:
        """The page's own words in the preview's language, for the template."""
        return {
            "intro": self.texts.get("intro"),
            "required": self.ui("ui.required"),
            "optional": self.ui("ui.optional"),
            "next": self.ui("ui.next"),
            "back": self.ui("ui.back"),
            "submit": self.ui("ui.submit"),
            "page_of": self.ui("ui.page_of", page=self.page, pages=self.pages),
        }


def paged(questions: list[Question]) -> list[list[Question]]:
    pages: list[list[Question]] = [[]]
    for question in questions:
        if question.new_page and pages[-1]:
            pages.append([])
        pages[-1].append(question)
    return pages


def shown_when(question: Question, numbers: dict[str, int]) -> str:
    condition = question.condition or {}
    if not condition.get("question"):
        return ""
    value = condition.get("value")
    shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    operator = dict(Question.Operator.choices).get(condition.get("op", ""), "")
    return _("Shown only when the answer to question %(number)s %(operator)s %(value)s.") % {
        "number": numbers.get(condition["question"], "?"),
        "operator": operator,
        "value": shown,
    }


def _preview_question(question: Question, number: int, texts: Texts, numbers: dict[str, int]) -> PreviewQuestion:
    item = PreviewQuestion(
        question=question,
        number=number,
        text=texts.question(question, "text"),
        help=texts.question(question, "help"),
        shown_when=shown_when(question, numbers),
    )
    if question.kind in Question.SCORED:
        low, high = question.scale or (0, 0)
        item.values = [(str(n), str(n)) for n in range(low, high + 1)]
        words = SCALE_WORDS.get(question.kind)
        item.low = texts.question(question, "low") or (texts.ui(words[0]) if words else "")
        item.high = texts.question(question, "high") or (texts.ui(words[1]) if words else "")
    elif question.kind in Question.CHOICES:
        item.values = [(c["value"], texts.choice(question, c["value"]) or c["label"]) for c in question.choices]
    return item


def preview_pages(*, version: SurveyVersion, questions: list[Question], language: str, page: int) -> Preview:
    texts = Texts(version, language, questions)
    pages = paged(questions)
    page = max(1, min(page, len(pages)))
    numbers = {question.code: index for index, question in enumerate(questions, start=1)}
    shown = [_preview_question(q, numbers[q.code], texts, numbers) for q in pages[page - 1]]
    return Preview(page=page, pages=len(pages), questions=shown, texts=texts)
