"""What makes a question well formed, and a display condition sound: checked by the design services before any write.

A condition shows a question only when an earlier answer matches: `{"question": "<code>", "op": "at_most",
"value": 6}`. Scored questions (NPS, CSAT, CES, rating) take `equals`, `at_most` and `at_least` with a score of
their scale; choice questions take `equals` (one value) and `in` (a list of values) among their choices; text
questions cannot be referred to.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import global_settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from surveys.models import Question

Kind, Operator = Question.Kind, Question.Operator
SCORED_OPERATORS = (Operator.EQUALS, Operator.AT_MOST, Operator.AT_LEAST)
CHOICE_OPERATORS = (Operator.EQUALS, Operator.IN)
VALUE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
MAX_CHOICES = 50
# A survey speaks any language Django knows a name for, not only those the staff pages ship in.
LANGUAGES: list[tuple[str, str]] = list(global_settings.LANGUAGES)
LANGUAGE_CODES = frozenset(code for code, _name in LANGUAGES)


def language_name(code: str) -> str:
    from django.utils.translation import gettext

    return gettext(dict(LANGUAGES).get(code, code))


def scale_of(kind: str, scale_max: int | None) -> tuple[int, int] | None:
    if kind == Kind.RATING:
        return (1, scale_max or 5)
    return Question.SCALES.get(kind)


def operators_for(kind: str) -> tuple[str, ...]:
    if kind in Question.SCORED:
        return SCORED_OPERATORS
    if kind in Question.CHOICES:
        return CHOICE_OPERATORS
    return ()


def check_question(*, kind: str, text: str, scale_max: int | None, choices: list[dict[str, str]]) -> None:
    """A question's own fields: its kind, words, scale and choices."""
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Choose a type of question.")})
    if not text.strip():
        raise ValidationError({"text": _("Write the question.")})
    if kind == Kind.RATING and not (isinstance(scale_max, int) and 2 <= scale_max <= 10):
        raise ValidationError({"scale_max": _("A rating goes from 1 up to a number between 2 and 10.")})
    if kind in Question.CHOICES:
        check_choices(choices)


def check_choices(choices: list[dict[str, str]]) -> None:
    if len(choices) < 2:
        raise ValidationError({"choices": _("Give at least two choices.")})
    if len(choices) > MAX_CHOICES:
        raise ValidationError({"choices": _("Give at most %(count)d choices.") % {"count": MAX_CHOICES}})
    values = [str(choice.get("value", "")) for choice in choices]
    if any(not VALUE_PATTERN.match(value) for value in values):
        raise ValidationError({"choices": _("Each choice needs a value of letters, digits, hyphens or underscores.")})
    if len(set(values)) != len(values):
        raise ValidationError({"choices": _("Each choice must be different from the others.")})
    if any(not str(choice.get("label", "")).strip() for choice in choices):
        raise ValidationError({"choices": _("Each choice needs words.")})


def check_condition(condition: Mapping[str, Any], *, earlier: Iterable[Question]) -> dict[str, Any]:
    """The condition in its stored form, checked against the questions before this one (`earlier`); {} for none."""
    if not condition or not condition.get("question"):
        return {}
    code, op, value = condition.get("question"), condition.get("op"), condition.get("value")
    source = next((question for question in earlier if question.code == code), None)
    if source is None:
        raise ValidationError({"condition": _("A question can only depend on a question before it.")})
    if op not in operators_for(source.kind):
        raise ValidationError(
            {"condition": _("“%(question)s” cannot be compared that way.") % {"question": source.text}}
        )
    if source.kind in Question.SCORED:
        low, high = source.scale or (0, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            message = _("Give a score from %(low)d to %(high)d.") % {"low": low, "high": high}
            raise ValidationError({"condition": message})
        return {"question": code, "op": op, "value": value}
    known = {choice["value"] for choice in source.choices}
    values = value if isinstance(value, list) else [value]
    if op == Operator.EQUALS and len(values) != 1:
        raise ValidationError({"condition": _("“is” compares with one choice: use “is one of” for several.")})
    if not values or any(v not in known for v in values):
        message = _("Choose among the choices of “%(question)s”.") % {"question": source.text}
        raise ValidationError({"condition": message})
    return {"question": code, "op": op, "value": values[0] if op == Operator.EQUALS else list(dict.fromkeys(values))}


def condition_still_holds(condition: Mapping[str, Any], source: Question) -> bool:
    """Whether a stored condition still fits its source question after the source changed."""
    try:
        check_condition(condition, earlier=[source])
    except ValidationError:
        return False
    return True
