"""The closed loop's rules: a survey's follow-up rules, and the matching of a response against them.

A response that meets a rule gets its FollowUp in the transaction that writes it (surveys.services.responses): no
broker, no email, nothing a customer waits for, and never lost. A worker then opens it as an item of the feedback
inbox (surveys.services.follow_ups).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback.selectors.inbox import assignable_members
from qms.accounts.models import User
from qms.audit.writes import audited_create, audited_soft_delete, audited_update
from qms.tenancy.models import Organization
from surveys.models import FollowUp, LoopRule, Question, Response, Survey

from .design import latest_version

DELETED_MESSAGE = gettext_lazy("This rule was deleted.")
RULE_FIELDS = ("question_code", "condition", "value", "assign_to", "assignee")
Condition = LoopRule.Condition


# --- rules --------------------------------------------------------------------------------------------------


def rule_questions(survey: Survey) -> list[Question]:
    """The questions a rule may watch: those of the survey's latest version."""
    return list(latest_version(survey).questions.all())


def _check_value(question: Question, condition: str, value: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationError({"value": _("Give the value the answer is compared with.")})
    if condition in LoopRule.NUMERIC or (condition == Condition.EQUALS and question.kind in Question.SCORED):
        low, high = question.scale or (0, 0)
        if question.kind not in Question.SCORED:
            raise ValidationError({"condition": _("Only a scored question can be compared with a number.")})
        try:
            number = int(value)
        except ValueError:
            raise ValidationError({"value": _("Give a whole number.")}) from None
        if not low <= number <= high:
            message = _("Give a number from %(low)s to %(high)s, the question's scale.")
            raise ValidationError({"value": message % {"low": low, "high": high}})
        return str(number)
    if condition == Condition.EQUALS and question.kind in Question.CHOICES:
        offered = {choice["value"] for choice in question.choices or []}
        if value not in offered:
            raise ValidationError({"value": _("Give the value of one of the question's choices.")})
    if condition == Condition.CONTAINS and question.kind in Question.SCORED:
        raise ValidationError({"condition": _("A score cannot contain words: compare it with a number.")})
    return value


def _check_rule(*, survey: Survey, fields: Mapping[str, Any]) -> dict[str, Any]:
    questions = {q.code: q for q in rule_questions(survey)}
    question = questions.get(str(fields.get("question_code", "")))
    if question is None:
        raise ValidationError({"question_code": _("Choose a question of the survey.")})
    condition = str(fields.get("condition", ""))
    if condition not in Condition.values:
        raise ValidationError({"condition": _("Choose a condition from the list.")})
    assign_to, assignee = str(fields.get("assign_to", "")), fields.get("assignee")
    if assign_to not in LoopRule.AssignTo.values:
        raise ValidationError({"assign_to": _("Choose who is given the follow-up.")})
    if assign_to == LoopRule.AssignTo.PERSON and assignee is None:
        raise ValidationError({"assignee": _("Choose the person who is given the follow-up.")})
    if assignee is not None and not assignable(survey.organization, assignee):
        raise ValidationError({"assignee": _("Only a member who is not an auditor can be given follow-ups.")})
    value = _check_value(question, condition, str(fields.get("value", "")))
    return {"question_code": question.code, "condition": condition, "value": value,
            "assign_to": assign_to, "assignee": assignee}  # fmt: skip


def assignable(organization: Organization, user: User) -> bool:
    return assignable_members(organization=organization).filter(user_id=user.pk).exists()


def assignable_users(*, organization: Organization) -> QuerySet[User]:
    """Whom a rule may name: the members who may be given feedback (not auditors, access not ended)."""
    members = assignable_members(organization=organization).values("user_id")
    return User.objects.filter(pk__in=members).order_by("full_name", "email")


def loop_rule_create(*, survey: Survey, actor: User, **fields: Any) -> LoopRule:
    """A new follow-up rule of the survey, checked against its latest version's questions."""
    checked = _check_rule(survey=survey, fields=fields)
    rule = LoopRule(organization=survey.organization, survey=survey, created_by=actor, **checked)
    return audited_create(instance=rule, actor=actor, action="loop_rule.create")


def loop_rule_update(*, rule: LoopRule, actor: User, **fields: Any) -> LoopRule:
    """Change what the rule watches or whom it names; `active` pauses or resumes it."""

    def prepare(locked: LoopRule) -> dict[str, Any]:
        if locked.deleted_at is not None:
            raise ValidationError(DELETED_MESSAGE)
        values = {name: getattr(locked, name) for name in RULE_FIELDS}
        values.update({name: value for name, value in fields.items() if name in RULE_FIELDS})
        checked = _check_rule(survey=rule.survey, fields=values)
        return {**checked, **({"active": bool(fields["active"])} if "active" in fields else {})}

    rule, _changes = audited_update(instance=rule, actor=actor, action="loop_rule.update", prepare=prepare)
    return rule


def loop_rule_delete(*, rule: LoopRule, actor: User) -> LoopRule:
    """Take the rule away (it stays, deleted, for the follow-ups it opened and the trail)."""
    return audited_soft_delete(instance=rule, actor=actor, action="loop_rule.delete")


# --- matching, in the answer's transaction -------------------------------------------------------------------


def follow_up_match(
    *, response: Response, answers: Mapping[str, Any], rules: Sequence[LoopRule] | None = None
) -> FollowUp | None:
    """Note that the response needs a follow-up when it meets any active rule of its survey (`rules`, in the order
    of their ids, when they were read already: `Survey.active_rules`); one statement when none does, none when the
    rules were read."""
    if rules is None:
        rules = LoopRule.objects.filter(
            organization_id=response.organization_id, survey_id=response.survey_id, active=True
        ).order_by("pk")
    matched = [rule for rule in rules if rule.matches(answers.get(rule.question_code))]
    if not matched:
        return None
    return FollowUp.objects.create(
        organization_id=response.organization_id,
        response=response,
        rule=matched[0],
        matched=[rule.pk for rule in matched],
    )
