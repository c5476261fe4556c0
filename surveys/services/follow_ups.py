"""The closed loop's second half: a worker opens each response's waiting follow-up as an item of the feedback inbox.

Beat, every few seconds (surveys.tasks): each waiting FollowUp becomes a feedback item of kind concern and channel
survey, through the inbox's own service — the inbox knows nothing of surveys — given to the customer's account owner
or the rule's named person, who is told in the app and by email; the item and the response are linked both ways.
The follow-up's row is locked while it is opened and then holds its item, so each matching response opens exactly
one item, however many workers run. An anonymous response names nobody: "an anonymous detractor wrote …".
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from feedback.models import FeedbackItem
from feedback.services.inbox import feedback_create
from qms.accounts.models import User
from qms.links.services import link_create
from qms.tenancy.crossings import crossing_ids
from qms.tenancy.locale import activated, language_for
from qms.tenancy.models import Organization
from surveys.models import FollowUp, LoopRule, Question

from .loop import assignable
from .responses import answer_value

ORGANIZATIONS_WITH_DUE_FOLLOW_UPS = """
CREATE OR REPLACE FUNCTION app_organizations_with_due_follow_ups() RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT DISTINCT organization_id FROM surveys_followup WHERE item_id IS NULL
$$
"""
log = logging.getLogger(__name__)


def organizations_with_due_follow_ups() -> list[int]:
    if connection.vendor == "postgresql":
        return crossing_ids("SELECT app_organizations_with_due_follow_ups()")
    with scopes_disabled():
        return sorted(set(FollowUp.objects.filter(item__isnull=True).values_list("organization_id", flat=True)))


def _assignee(organization: Organization, follow_up: FollowUp) -> User | None:
    """The customer's account owner when the rule says so and they can take it, else the rule's named person."""
    rule, contact = follow_up.rule, follow_up.response.contact
    owner = contact.customer.account_owner if contact is not None and contact.customer is not None else None
    for candidate in (owner if rule.assign_to == LoopRule.AssignTo.ACCOUNT_OWNER else None, rule.assignee):
        if candidate is not None and assignable(organization, candidate):
            return candidate
    return None


def _shown(question: Question, value: Any) -> str:
    if question.kind in Question.SCORED:
        return f"{value} / {(question.scale or (0, 0))[1]}"
    if question.kind in Question.CHOICES:
        labels = {choice["value"]: choice.get("label") or choice["value"] for choice in question.choices or []}
        values = value if isinstance(value, list) else [value]
        return ", ".join(str(labels.get(v, v)) for v in values)
    return str(value)


def follow_up_text(follow_up: FollowUp) -> str:
    """What the inbox item says: who answered (or that nobody can be named), and every answer given."""
    response = follow_up.response
    survey, contact = response.survey, response.contact
    questions = list(Question.objects.filter(organization_id=response.organization_id, version_id=response.version_id))
    given = {answer.question_id: answer for answer in response.answers.all()}
    lines = []
    detractor = False
    for question in questions:
        answer = given.get(question.pk)
        if answer is None:
            continue
        value = answer_value(answer, question)
        if value in (None, "", []):
            continue
        detractor = detractor or (question.kind == Question.Kind.NPS and int(value) <= 6)
        lines.append(f"{question.text} — {_shown(question, value)}")
    names = {"survey": f"{survey.reference} {survey.name}"}
    if contact is None:
        who = _("An anonymous detractor wrote") if detractor else _("An anonymous respondent wrote")
        opening = _("%(who)s in answer to the survey %(survey)s:") % {**names, "who": who}
    else:
        opening = _("%(contact)s answered the survey %(survey)s:") % {**names, "contact": contact.name}
    rules = LoopRule.objects.filter(organization_id=response.organization_id, pk__in=follow_up.matched)
    met = "; ".join(f"{rule.question_code} {rule.get_condition_display()} {rule.value}" for rule in rules)
    return "\n".join([opening, "", *lines, "", _("Follow-up rule met: %(rules)s") % {"rules": met}])


def follow_ups_open(*, organization: Organization, limit: int = 500) -> int:
    """Open up to `limit` waiting follow-ups of the organisation as feedback items, skipping any another worker holds
    (the next run takes the rest). One that cannot be opened stays waiting, logged, and the others go on."""
    opened = 0
    with activated(language=language_for(organization=organization), time_zone=organization.zone()):
        with transaction.atomic():
            batch = list(
                FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(organization=organization, item__isnull=True)
                .select_related(
                    "rule__created_by", "rule__assignee", "response__survey",
                    "response__contact__customer__account_owner",
                )
                .order_by("pk")[:limit]
            )  # fmt: skip
            for follow_up in batch:
                try:
                    with transaction.atomic():
                        _open(organization, follow_up)
                except (ValidationError, DatabaseError):
                    log.exception("the follow-up of response %s could not be opened", follow_up.response_id)
                else:
                    opened += 1
    return opened


def _in(language: str, write: Any, *args: Any) -> str:
    with translation.override(language):
        return str(write(*args))


def _open(organization: Organization, follow_up: FollowUp) -> FeedbackItem:
    response = follow_up.response
    contact = response.contact
    item = feedback_create(
        organization=organization,
        actor=None,
        channel=FeedbackItem.Channel.SURVEY,
        kind=FeedbackItem.Kind.CONCERN,
        text=_in(response.survey.default_language, follow_up_text, follow_up),
        language=response.survey.default_language,  # it quotes the survey's questions, in the survey's words
        customer=contact.customer if contact is not None else None,
        contact=contact,
        received_on=response.submitted_on,
        assignee=_assignee(organization, follow_up),
    )
    link_create(organization=organization, actor=follow_up.rule.created_by, source=item, target=response)
    follow_up.item, follow_up.opened_at = item, timezone.now()
    follow_up.save(update_fields=["item", "opened_at"])
    return item
