"""Campaigns (campaigns/): surveys on a schedule. Managers design, check, launch, pause, resume and cancel them;
everyone who reads surveys follows their progress, their waves and what each wave left out.

A campaign's page refreshes its progress itself (htmx) while emails are waiting, and says how long the rest will
take at the current pace. The work is the services' (surveys.services.campaigns); the counts the selectors'.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from qms.forms import add_service_errors
from qms.listing import csv_response, paginate
from qms.permissions import may, permission
from qms.tenancy.access import get_object_for_member
from qms.tenancy.requests import MemberRequest
from surveys.filters import CampaignFilter, ExclusionFilter
from surveys.forms.campaigns import CampaignForm, CheckInForm, MembersForm, OutreachRuleForm, ResumeForm
from surveys.models import Campaign, CampaignExclusion, CampaignMember, CampaignStep, CheckIn
from surveys.selectors.campaigns import (
    campaign_progress,
    campaign_totals,
    campaign_waves,
    campaigns_for_organization,
    exclusion_counts,
)
from surveys.services import campaigns as service
from surveys.services import check_ins
from surveys.services.check_ins import check_in_audience

SEND = "surveys.send"


def _campaign(request: MemberRequest, campaign_id: int) -> Campaign:
    return get_object_for_member(
        Campaign.objects.select_related("survey", "version", "created_by"),
        organization=request.organization,
        pk=campaign_id,
    )


@require_GET
@permission("surveys.view")
def campaign_list(request: MemberRequest, org_slug: str) -> HttpResponse:
    campaigns = campaigns_for_organization(organization=request.organization).order_by("-created_at", "-pk")
    filters = CampaignFilter.for_page(request.GET, campaigns)
    context = {
        "page": paginate(request, filters.qs),
        "filters": filters.values,
        "filterset": filters,
        "rule": service.outreach_rule(request.organization),
        "can_send": may(request.membership, SEND),
    }
    return render(request, "surveys/campaigns/list.html", context)


@require_http_methods(["GET", "POST"])
@permission(SEND)
def campaign_create(request: MemberRequest, org_slug: str) -> HttpResponse:
    form = CampaignForm(
        request.POST or None, organization=request.organization, user=request.user, initial={"audience": "segment"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            campaign = service.campaign_create(organization=request.organization, actor=request.user, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(reference)s was created: check its audience, then launch it.") % {
                "reference": campaign.reference})  # fmt: skip
            return redirect("surveys:campaign_detail", org_slug=org_slug, campaign_id=campaign.pk)
    return render(request, "surveys/campaigns/form.html", {"form": form, "campaign": None},
                  status=422 if form.errors else 200)  # fmt: skip


@require_http_methods(["GET", "POST"])
@permission(SEND)
def campaign_edit(request: MemberRequest, org_slug: str, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    form = CampaignForm(request.POST or None, organization=request.organization, campaign=campaign, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            service.campaign_update(campaign=campaign, actor=request.user, **form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The campaign was saved."))
            return redirect("surveys:campaign_detail", org_slug=org_slug, campaign_id=campaign.pk)
    return render(request, "surveys/campaigns/form.html", {"form": form, "campaign": campaign},
                  status=422 if form.errors else 200)  # fmt: skip


@require_GET
@permission("surveys.view")
def campaign_detail(request: MemberRequest, org_slug: str, campaign_id: int) -> HttpResponse:
    campaign = _campaign(request, campaign_id)
    progress = campaign_progress(campaign)
    context = {"campaign": campaign, "progress": progress}
    if request.htmx and request.GET.get("progress"):
        return render(request, "surveys/campaigns/_progress.html", context)
    if campaign.kind == Campaign.Kind.CHECK_IN:
        context.update(_check_ins_context(request, campaign))
    preview, refusal = None, ""
    if campaign.status == Campaign.Status.DRAFT and campaign.kind == Campaign.Kind.SURVEY:
        try:
            preview = service.campaign_preview(campaign)
        except ValidationError as exc:  # a survey without questions
            refusal = " ".join(exc.messages)
    steps = CampaignStep.objects.filter(
        organization=request.organization, campaign=campaign, state=CampaignStep.State.DUE
    ).order_by("due_at", "pk")[:5]
    context.update({
        "preview": preview,
        "refusal": refusal,
        "waves": campaign_waves(campaign),
        "totals": campaign_totals(campaign),
        "excluded": _labelled(exclusion_counts(campaign)),
        "left_out": _labelled(preview.audience.skipped) if preview else [],
        "upcoming": list(steps),
        "members": CampaignMember.objects.filter(organization=request.organization, campaign=campaign).count(),
        "transitions": Campaign.workflow.available(campaign, request.membership),
        "can_send": may(request.membership, SEND),
        "resume_form": ResumeForm(),
        "members_form": MembersForm(),
    })  # fmt: skip
    return render(request, "surveys/campaigns/detail.html", context)


def _check_ins_context(request: MemberRequest, campaign: Campaign) -> dict[str, Any]:
    """A check-in campaign's page: who is to call whom, who has been called and what they said."""
    check_ins = (
        CheckIn.objects.filter(organization=request.organization, campaign=campaign)
        .select_related("customer", "assignee", "item")
        .order_by("-wave", "state", "due_on", "customer__name", "pk")
    )
    states = dict(check_ins.order_by().values_list("state").annotate(n=Count("pk")))
    context: dict[str, Any] = {
        "check_ins": paginate(request, check_ins),
        "check_in_counts": [(label, states.get(value, 0)) for value, label in CheckIn.State.choices],
        "may_record_all": may(request.membership, SEND),
    }
    if campaign.status == Campaign.Status.DRAFT:
        rows, nobody = check_in_audience(campaign)
        context.update({"to_call": len(rows), "nobody_to_call": nobody})
    return context


@require_http_methods(["GET", "POST"])
@permission("surveys.view", write="surveys.check_in")
def check_in_record(request: MemberRequest, org_slug: str, campaign_id: int, check_in_id: int) -> HttpResponse:
    """Record a conversation held with a key customer: its assignee or a manager. The outcome becomes a feedback
    item of channel "meeting"."""
    campaign = _campaign(request, campaign_id)
    check_in = get_object_for_member(
        CheckIn.objects.select_related("customer", "assignee", "item", "campaign"),
        organization=request.organization, pk=check_in_id, campaign=campaign,
    )  # fmt: skip
    if request.method == "POST" and check_in.assignee_id != request.user.pk and not may(request.membership, SEND):
        raise PermissionDenied(_("Only the person who holds this conversation, or a manager, records it."))
    form = CheckInForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and check_in.state != CheckIn.State.HELD and form.is_valid():
        try:
            check_ins.check_in_record(check_in=check_in, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The conversation with %(customer)s is recorded in the inbox.") % {
                "customer": check_in.customer.name})  # fmt: skip
            return redirect("surveys:campaign_detail", org_slug=org_slug, campaign_id=campaign.pk)
    context = {"campaign": campaign, "check_in": check_in, "form": form}
    return render(request, "surveys/campaigns/check_in.html", context, status=422 if form.errors else 200)


def _labelled(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Exclusion counts by reason, named in the reader's language, in the reasons' order."""
    return [(str(label), counts[value]) for value, label in CampaignExclusion.Reason.choices if counts.get(value)]


@require_POST
@permission(SEND)
def campaign_status(request: MemberRequest, org_slug: str, campaign_id: int, action: str) -> HttpResponse:
    """Launch, pause, resume or cancel (the URL's `action`)."""
    campaign = _campaign(request, campaign_id)
    try:
        if action == "launch":
            campaign = service.campaign_launch(campaign=campaign, actor=request.user)
            messages.success(request, _("The campaign is running: its first wave goes on %(when)s.") % {
                "when": _first_wave(campaign)})  # fmt: skip
        elif action == "pause":
            _campaign_, held = service.campaign_pause(campaign=campaign, actor=request.user)
            messages.success(request, ngettext(
                "The campaign is paused; %(count)d email that had not left was held back.",
                "The campaign is paused; %(count)d emails that had not left were held back.", held,
            ) % {"count": held})  # fmt: skip
        elif action == "resume":
            form = ResumeForm(request.POST)
            form.is_valid()
            skipped_too = bool(form.cleaned_data.get("send_skipped"))
            _campaign_, back, skipped = service.campaign_resume(
                campaign=campaign, actor=request.user, send_skipped=skipped_too
            )
            messages.success(request, _("The campaign is running again: %(back)d emails go as planned, %(skipped)d "
                                        "skipped.") % {"back": back, "skipped": skipped})  # fmt: skip
        elif action == "cancel":
            _campaign_, withdrawn = service.campaign_cancel(campaign=campaign, actor=request.user)
            messages.success(request, ngettext(
                "The campaign is cancelled; %(count)d email that had not left was withdrawn.",
                "The campaign is cancelled; %(count)d emails that had not left were withdrawn.", withdrawn,
            ) % {"count": withdrawn})  # fmt: skip
        else:
            messages.error(request, _("Choose launch, pause, resume or cancel."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("surveys:campaign_detail", org_slug=org_slug, campaign_id=campaign.pk)


@require_POST
@permission(SEND)
def campaign_test(request: MemberRequest, org_slug: str, campaign_id: int) -> HttpResponse:
    """Send the manager a test of the campaign's emails: the invitation and each reminder."""
    campaign = _campaign(request, campaign_id)
    try:
        sent = service.campaign_test_send(campaign=campaign, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        reminders, email = sent - 1, request.user.email
        told = (
            ngettext(
                "A test of the invitation and its reminder is on its way to %(email)s, one email each; their links "
                "open the survey's preview.",
                "A test of the invitation and its %(count)d reminders is on its way to %(email)s, one email each; "
                "their links open the survey's preview.",
                reminders,
            )
            if reminders
            else _("A test of the invitation is on its way to %(email)s; its links open the survey's preview.")
        )
        messages.success(request, told % {"email": email, "count": reminders})
    return redirect("surveys:campaign_detail", org_slug=org_slug, campaign_id=campaign.pk)


def _first_wave(campaign: Campaign) -> str:
    step = campaign.steps.filter(kind=CampaignStep.Kind.WAVE, state=CampaignStep.State.DUE).first()
    if step is None:
        return ""
    return formats.date_format(timezone.localtime(step.due_at, campaign.organization.zone()), "DATETIME_FORMAT")


@require_http_methods(["GET", "POST"])
@permission("surveys.view", write=SEND)
def campaign_members(request: MemberRequest, org_slug: str, campaign_id: int) -> HttpResponse:
    """The contacts named one by one (an uploaded list, or added through the API); managers upload a list."""
    campaign = _campaign(request, campaign_id)
    form = MembersForm(request.POST or None, request.FILES or None)
    unknown: list[str] = []
    if request.method == "POST" and form.is_valid():
        found, unknown = form.contacts(request.organization)
        added = service.members_add(
            campaign=campaign, actor=request.user, contacts=found, source=CampaignMember.Source.LIST
        )
        done = ngettext("%(count)d contact added to the list.", "%(count)d contacts added to the list.", added)
        messages.success(request, done % {"count": added})
        if not unknown:
            return redirect("surveys:campaign_members", org_slug=org_slug, campaign_id=campaign.pk)
    members = (
        CampaignMember.objects.filter(organization=request.organization, campaign=campaign)
        .select_related("contact__customer")
        .order_by("-added_at", "-pk")
    )
    context = {"campaign": campaign, "form": form, "page": paginate(request, members), "unknown": unknown[:50],
               "unknown_count": len(unknown), "can_send": may(request.membership, SEND)}  # fmt: skip
    return render(request, "surveys/campaigns/members.html", context, status=422 if form.errors else 200)


@require_GET
@permission("surveys.view")
def campaign_exclusions(request: MemberRequest, org_slug: str, campaign_id: int) -> HttpResponse:
    """Whom the waves left out and why; as CSV with ?format=csv."""
    campaign = _campaign(request, campaign_id)
    excluded = (
        CampaignExclusion.objects.filter(organization=request.organization, step__campaign=campaign)
        .select_related("contact__customer", "step")
        .order_by("-step__wave", "contact__name", "pk")
    )
    filters = ExclusionFilter.for_page(request.GET, excluded)
    if request.GET.get("format") == "csv":
        rows = (
            (row.step.wave, row.contact.name, row.contact.email, row.contact.customer.name if row.contact.customer
             else "", row.get_reason_display())
            for row in filters.qs.iterator(chunk_size=2000)
        )  # fmt: skip
        header = [_("Wave"), _("Contact"), _("Email"), _("Customer"), _("Reason")]
        return csv_response(f"{campaign.reference}-exclusions.csv", header, rows)
    context = {"campaign": campaign, "page": paginate(request, filters.qs), "filters": filters.values,
               "filterset": filters}  # fmt: skip
    return render(request, "surveys/campaigns/exclusions.html", context)


@require_http_methods(["GET", "POST"])
@permission("surveys.view", write=SEND)
def contact_rule(request: MemberRequest, org_slug: str) -> HttpResponse:
    """The organisation's contact-fatigue rule."""
    rule = service.outreach_rule(request.organization)
    form = OutreachRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        service.outreach_rule_update(organization=request.organization, actor=request.user, **form.cleaned_data)
        messages.success(request, _("The contact rule was saved; the next waves apply it."))
        return redirect("surveys:campaign_list", org_slug=org_slug)
    context = {"form": form, "rule": rule, "can_send": may(request.membership, SEND)}
    return render(request, "surveys/campaigns/rule.html", context, status=422 if form.errors else 200)


campaign_path = "campaigns/<int:campaign_id>/"
urlpatterns = [
    path("campaigns/", campaign_list, name="campaign_list"),
    path("campaigns/new/", campaign_create, name="campaign_create"),
    path("campaigns/contact-rule/", contact_rule, name="contact_rule"),
    path(campaign_path, campaign_detail, name="campaign_detail"),
    path(f"{campaign_path}edit/", campaign_edit, name="campaign_edit"),
    path(f"{campaign_path}status/<slug:action>/", campaign_status, name="campaign_status"),
    path(f"{campaign_path}test/", campaign_test, name="campaign_test"),
    path(f"{campaign_path}members/", campaign_members, name="campaign_members"),
    path(f"{campaign_path}exclusions/", campaign_exclusions, name="campaign_exclusions"),
    path(f"{campaign_path}check-ins/<int:check_in_id>/", check_in_record, name="check_in_record"),
]
