"""What the editor says about a question that the customer never reads: when a conditional question is shown."""

from __future__ import annotations

from django.utils.translation import gettext as _

from surveys.models import Question


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
