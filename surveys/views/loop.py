"""A survey's closed loop (surveys/<id>/follow-ups/): its follow-up rules, and the follow-ups its answers opened.

Everyone who reads surveys sees the page; managers add, pause and delete rules (surveys.services.loop).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from qms.forms import add_service_errors
from qms.listing import paginate
from qms.permissions import may, permission
from qms.tenancy.access import get_object_for_member
from qms.tenancy.requests import MemberRequest
from surveys.forms.loop import LoopRuleForm
from surveys.models import FollowUp, LoopRule, Survey
from surveys.selectors.surveys import access_survey
from surveys.services.loop import assignable_users, loop_rule_create, loop_rule_delete, loop_rule_update, rule_questions


def _rule(request: MemberRequest, survey: Survey, rule_id: int) -> LoopRule:
    return get_object_for_member(
        LoopRule.objects.select_related("survey"), organization=request.organization, survey=survey, pk=rule_id
    )


@require_http_methods(["GET", "POST"])
@permission("surveys.view", write="surveys.manage")
def loop_rules(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    questions = rule_questions(survey)
    members = assignable_users(organization=request.organization)
    form = LoopRuleForm(request.POST or None, questions=questions, members=members, language=survey.default_language)
    if request.method == "POST" and form.is_valid():
        try:
            loop_rule_create(survey=survey, actor=request.user, **form.rule_values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The rule was added: its survey's next matching answers are followed up."))
            return redirect("surveys:loop_rules", org_slug=org_slug, survey_id=survey.pk)
    rules = LoopRule.objects.filter(
        organization=request.organization, survey=survey, deleted_at__isnull=True
    ).select_related("assignee")
    labels = {q.code: q.text for q in questions}
    follow_ups = (
        FollowUp.objects.filter(organization=request.organization, response__survey=survey)
        .select_related("response__organization", "response__contact", "item__assignee", "item__organization")
        .order_by("-created_at", "-pk")
    )
    context = {
        "survey": survey,
        "rules": [(rule, labels.get(rule.question_code, rule.question_code)) for rule in rules],
        "form": form if may(request.membership, "surveys.manage") else None,
        "page": paginate(request, follow_ups),
    }
    return render(request, "surveys/loop/rules.html", context, status=422 if form.errors else 200)


@require_POST
@permission("surveys.manage")
def loop_rule_active(request: MemberRequest, org_slug: str, survey_id: int, rule_id: int) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    active = request.POST.get("active") == "1"
    try:
        loop_rule_update(rule=_rule(request, survey, rule_id), actor=request.user, active=active)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The rule is on again.") if active else _("The rule is paused."))
    return redirect("surveys:loop_rules", org_slug=org_slug, survey_id=survey.pk)


@require_POST
@permission("surveys.manage")
def loop_rule_remove(request: MemberRequest, org_slug: str, survey_id: int, rule_id: int) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    loop_rule_delete(rule=_rule(request, survey, rule_id), actor=request.user)
    messages.success(request, _("The rule was deleted. The follow-ups it opened stay in the inbox."))
    return redirect("surveys:loop_rules", org_slug=org_slug, survey_id=survey.pk)


rule_path = "surveys/<int:survey_id>/follow-ups/<int:rule_id>/"
urlpatterns = [
    path("surveys/<int:survey_id>/follow-ups/", loop_rules, name="loop_rules"),
    path(f"{rule_path}active/", loop_rule_active, name="loop_rule_active"),
    path(f"{rule_path}delete/", loop_rule_remove, name="loop_rule_delete"),
]
