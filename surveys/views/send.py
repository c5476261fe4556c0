"""Sending a survey from its page, and following a send's progress; the responses it brought.

A send is checked before it starts (how many contacts it invites, whom it leaves out and why, the translations it
still needs), then created in one request; its page counts the emails as the workers send them and refreshes
itself (htmx) while any is waiting.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.models import Customer
from qms.forms import add_service_errors
from qms.listing import paginate
from qms.permissions import may, permission
from qms.tenancy.access import get_object_for_member
from qms.tenancy.requests import MemberRequest
from surveys.filters import InvitationFilter, ResponseFilter
from surveys.forms.send import RevokeForm, SendForm
from surveys.models import Answer, Invitation, Response, SurveySend
from surveys.selectors.sends import send_progress, sends_with_progress
from surveys.selectors.surveys import access_survey
from surveys.services.invitations import invitations_revoke
from surveys.services.sending import gate_message, send_check, sendable_version, survey_send


@permission("surveys.send")
@require_http_methods(["GET", "POST"])
def survey_send_view(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    form = SendForm(request.POST or None, organization=request.organization)
    check = gate = None
    if request.method == "POST" and form.is_valid():
        contacts = form.contacts()
        try:
            version = sendable_version(survey)
            if request.POST.get("confirm"):
                send = survey_send(
                    survey=survey, actor=request.user, contacts=contacts, audience=form.audience_summary()
                )
                messages.success(
                    request,
                    ngettext("Sending %(count)d invitation.", "Sending %(count)d invitations.", send.invited)
                    % {"count": send.invited},
                )
                return redirect("surveys:send_detail", org_slug=org_slug, survey_id=survey.pk, send_id=send.pk)
            check = send_check(survey=survey, contacts=contacts, version=version)
            gate = gate_message(check, version) if check.missing else None
        except ValidationError as exc:
            add_service_errors(form, exc)
    return render(
        request,
        "surveys/send/form.html",
        {"survey": survey, "form": form, "check": check, "gate": gate, "sends": sends_with_progress(
            organization=request.organization, survey=survey)[:5]},
    )  # fmt: skip


def _send_of(request: MemberRequest, survey_id: int, send_id: int) -> SurveySend:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    return get_object_for_member(
        SurveySend.objects.select_related("survey", "version", "created_by"),
        organization=request.organization,
        survey=survey,
        pk=send_id,
    )


@permission("surveys.view")
@require_GET
def send_detail(request: MemberRequest, org_slug: str, survey_id: int, send_id: int) -> HttpResponse:
    send = _send_of(request, survey_id, send_id)
    invitations = (
        Invitation.objects.filter(organization=request.organization, send=send)
        .select_related("contact__customer", "message")
        .order_by("pk")
    )
    filters = InvitationFilter.for_page(request.GET, invitations)
    context = {
        "survey": send.survey,
        "send": send,
        "progress": send_progress(send),
        "page": paginate(request, filters.qs),
        "filters": filters.values,
        "filterset": filters,
        "can_revoke": may(request.membership, "surveys.send"),
    }
    if request.htmx and request.GET.get("progress"):
        return render(request, "surveys/send/_progress.html", context)
    return render(request, "surveys/send/detail.html", context)


@permission("surveys.send")
@require_POST
def send_revoke(request: MemberRequest, org_slug: str, survey_id: int, send_id: int) -> HttpResponse:
    """Revoke one invitation (the form's `invitation`) or every unanswered one of the send."""
    send = _send_of(request, survey_id, send_id)
    form = RevokeForm(request.POST)
    invitation = None
    if form.is_valid() and form.cleaned_data["invitation"]:
        invitation = get_object_for_member(
            Invitation.objects.all(), organization=request.organization, send=send, pk=form.cleaned_data["invitation"]
        )
    if not form.is_valid():
        messages.error(request, _("Choose an invitation of this send to revoke."))
    else:
        try:
            revoked, withdrawn = invitations_revoke(send=send, actor=request.user, invitation=invitation)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            done = ngettext("%(count)d invitation revoked", "%(count)d invitations revoked", revoked) % {
                "count": revoked
            }
            if withdrawn:
                done += "; " + ngettext(
                    "%(count)d email withdrawn before it was sent.",
                    "%(count)d emails withdrawn before they were sent.",
                    withdrawn,
                ) % {"count": withdrawn}
            else:
                done += "."
            messages.success(request, done)
    return redirect("surveys:send_detail", org_slug=org_slug, survey_id=send.survey_id, send_id=send.pk)


@permission("surveys.view")
@require_GET
def response_list(request: MemberRequest, org_slug: str, survey_id: int) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    responses = (
        Response.objects.filter(organization=request.organization, survey=survey)
        .select_related("version", "contact__customer", "follow_up__item__organization")
        .prefetch_related(Prefetch("answers", queryset=Answer.objects.select_related("question")))
        .order_by("-submitted_on", "-pk")
    )
    filters = ResponseFilter.for_page(request.GET, responses)
    context = {"survey": survey, "page": paginate(request, filters.qs), "filters": filters.values, "filterset": filters}
    return render(request, "surveys/responses/list.html", context)


@permission("surveys.view")
@require_GET
def response_detail(request: MemberRequest, org_slug: str, survey_id: int, response_id: int) -> HttpResponse:
    survey = access_survey(organization=request.organization, survey_id=survey_id)
    response = get_object_for_member(
        Response.objects.select_related(
            "version", "contact__customer", "send", "follow_up__item__assignee", "follow_up__item__organization"
        ),
        organization=request.organization,
        survey=survey,
        pk=response_id,
    )
    answers = {a.question_id: a for a in response.answers.select_related("question")}
    shown = [(question, answers.get(question.pk)) for question in response.version.questions.all()]
    return render(
        request,
        "surveys/responses/detail.html",
        {"survey": survey, "response": response, "answers": shown, "respondent": _respondent(response),
         "title": _("Response %(number)s") % {"number": response.pk}},
    )  # fmt: skip


def _respondent(response: Response) -> list[tuple[str, str]]:
    """What the response keeps of the customer who answered, named as the customer's page names it (its language
    has a row of its own)."""
    labels = {field.name: field.verbose_name for field in Customer._meta.fields if field.name in response.attributes}
    rows = []
    for name, value in response.attributes.items():
        if name in ("segment", "region", "kind"):
            shown = Customer.Kind(value).label if name == "kind" and value in Customer.Kind.values else value
            rows.append((str(labels[name]), str(shown)))
    return rows


urlpatterns = [
    path("surveys/<int:survey_id>/send/", survey_send_view, name="survey_send"),
    path("surveys/<int:survey_id>/sends/<int:send_id>/", send_detail, name="send_detail"),
    path("surveys/<int:survey_id>/sends/<int:send_id>/revoke/", send_revoke, name="send_revoke"),
    path("surveys/<int:survey_id>/responses/", response_list, name="response_list"),
    path("surveys/<int:survey_id>/responses/<int:response_id>/", response_detail, name="response_detail"),
]
