"""The customer's form: one page of a version's questions, in the respondent's language.

A question whose condition rests on an earlier page is left out; one whose condition rests on this page is shown
with its condition in data attributes (static/js/survey.js hides it while it does not apply) and, without
JavaScript, is simply optional: its answer is kept only when the condition holds on submission.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import forms

from surveys.models import Question, SurveyVersion
from surveys.questionnaire import TEXT_LIMITS, Answers, Questionnaire, clean_value
from surveys.texts import Texts

FIELD_PREFIX = "q_"
SCALE_ENDS: dict[str, tuple[str, str]] = {
    Question.Kind.NPS: ("ui.not_likely", "ui.very_likely"),
    Question.Kind.CSAT: ("ui.very_dissatisfied", "ui.very_satisfied"),
    Question.Kind.CES: ("ui.very_difficult", "ui.very_easy"),
}


@dataclass(frozen=True)
class ShownQuestion:
    """What the template needs of one question: its field, words and how it is drawn."""

    question: Question
    field: forms.BoundField
    text: str
    help: str
    low: str
    high: str
    required_label: str
    condition: str  # JSON for static/js/survey.js, or ""

    @property
    def is_scale(self) -> bool:
        return self.question.kind in Question.SCORED

    @property
    def widget(self) -> str:
        kind = self.question.kind
        if kind in Question.SCORED:
            return "scale"
        return {"single": "radio", "multiple": "checkbox", "short_text": "text", "long_text": "textarea"}[kind]


class ResponseForm(forms.Form):
    def __init__(
        self,
        data: Any = None,
        *,
        version: SurveyVersion,
        questionnaire: Questionnaire,
        texts: Texts,
        page: int,
        answers: Answers,
        initial_answers: Answers | None = None,
    ) -> None:
        super().__init__(data)
        self.version, self.questionnaire, self.texts, self.page = version, questionnaire, texts, page
        self.answers = dict(answers)
        on_page = [q.code for q in questionnaire.page(page)]
        self.page_questions = [
            q
            for q in questionnaire.page(page)
            if not q.condition or q.condition.get("question") in on_page or questionnaire.shown(q, answers)
        ]
        prefill = {**answers, **(initial_answers or {})}
        for question in self.page_questions:
            self.fields[FIELD_PREFIX + question.code] = self._field(question, prefill.get(question.code))

    def _field(self, question: Question, initial: Any) -> forms.Field:
        label = self.texts.question(question, "text")
        kind = question.kind
        if kind in Question.SCORED:
            low, high = question.scale or (0, 0)
            choices = [(str(n), str(n)) for n in range(low, high + 1)]
            return forms.ChoiceField(
                label=label, choices=choices, required=False, widget=forms.RadioSelect, initial=_text(initial)
            )
        if kind in Question.CHOICES:
            choices = [(c["value"], self.texts.choice(question, c["value"])) for c in question.choices or []]
            if kind == Question.Kind.MULTIPLE:
                return forms.MultipleChoiceField(
                    label=label, choices=choices, required=False, widget=forms.CheckboxSelectMultiple, initial=initial
                )
            return forms.ChoiceField(
                label=label, choices=choices, required=False, widget=forms.RadioSelect, initial=initial
            )
        widget = forms.Textarea(attrs={"rows": 4}) if kind == Question.Kind.LONG_TEXT else forms.TextInput
        return forms.CharField(
            label=label, required=False, max_length=TEXT_LIMITS[kind], widget=widget, initial=initial or ""
        )

    def page_answers(self) -> dict[str, Any]:
        """This page's answers as given (valid or not yet checked for being required)."""
        given: dict[str, Any] = {}
        for question in self.page_questions:
            value = clean_value(question, self.cleaned_data.get(FIELD_PREFIX + question.code))
            if value not in (None, "", []):
                given[question.code] = value
        return given

    def check_required(self) -> bool:
        """Add "Please answer this question." to each required question of this page that applies and is blank."""
        merged = {**self.answers, **self.page_answers()}
        for question in self.page_questions:
            removed = {k: v for k, v in merged.items() if k != question.code}
            blank = question.code not in merged
            if question.required and blank and self.questionnaire.shown(question, removed):
                self.add_error(FIELD_PREFIX + question.code, self.texts.ui("ui.answer_required"))
        return not self.errors

    def shown_questions(self) -> list[ShownQuestion]:
        shown = []
        for question in self.page_questions:
            low_key, high_key = SCALE_ENDS.get(question.kind, ("", ""))
            low = self.texts.question(question, "low") or (self.texts.ui(low_key) if low_key else "")
            high = self.texts.question(question, "high") or (self.texts.ui(high_key) if high_key else "")
            shown.append(
                ShownQuestion(
                    question=question,
                    field=self[FIELD_PREFIX + question.code],
                    text=self.texts.question(question, "text"),
                    help=self.texts.question(question, "help"),
                    low=low,
                    high=high,
                    required_label=self.texts.ui("ui.required" if question.required else "ui.optional"),
                    condition=json.dumps(question.condition) if question.condition else "",
                )
            )
        return shown


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
