"""One feedback item: its page, editing, triage (assign, themes, sentiment, link, convert, close, reopen), attachments.

Every member reads the item and downloads its files; owners and managers triage any item, staff only the items
assigned to them (others get a 403 page saying so). The middleware already refuses auditors' writes.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback.conversion import NOT_AVAILABLE, conversions
from feedback.forms.inbox import (
    AssignForm,
    AttachmentForm,
    CloseForm,
    ConvertForm,
    FeedbackForm,
    LinkForm,
    SentimentForm,
    ThemesForm,
)
from feedback.models import FeedbackItem
from feedback.selectors.inbox import (
    TRIAGE_DENIED,
    access_attachment,
    access_feedback,
    assignable_members,
    can_triage,
    feedback_attachments,
    feedback_timeline,
    themes_for,
)
from feedback.services.attachments import download_name, served_content_type
from feedback.services.inbox import (
    attachment_add,
    feedback_assign,
    feedback_close,
    feedback_convert,
    feedback_link,
    feedback_reopen,
    feedback_set_sentiment,
    feedback_set_themes,
    feedback_update,
)
from feedback.views.inbox import _feedback_form
from qms.audit.sealing import unseal_events
from qms.forms import add_service_errors
from qms.links.selectors import links_of
from qms.modules import audit_action_label
from qms.permissions import permission
from qms.tenancy.access import has_role
from qms.tenancy.models import Role
from qms.tenancy.requests import MemberRequest

# --- one item -----------------------------------------------------------------------------------------------


def _triage(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Look the item up in this organisation (404 otherwise) and let only those who may triage it through."""

    @wraps(view)
    def wrapper(request: MemberRequest, org_slug: str, feedback_id: int, **kwargs: Any) -> HttpResponse:
        item = access_feedback(organization=request.organization, feedback_id=feedback_id)
        if not can_triage(request.membership, item):
            return render(request, "feedback/inbox/forbidden.html", {"item": item, "reason": TRIAGE_DENIED}, status=403)
        return view(request, org_slug, item, **kwargs)

    return wrapper


def _detail_response(request: MemberRequest, item: FeedbackItem, **bound: forms.Form) -> HttpResponse:
    """The item page; a triage form that failed is passed in bound, with its errors, and the page is re-rendered."""
    organization = request.organization
    triage = can_triage(request.membership, item)
    context: dict[str, Any] = {
        "item": item,
        "item_themes": list(item.themes.all()),
        "can_triage": triage,
        "transitions": FeedbackItem.workflow.available(item, request.membership) if triage else [],
        "attachments": feedback_attachments(organization=organization, feedback=item),
        "links": links_of(organization=organization, record=item),
        "timeline": [
            {"event": event, "label": audit_action_label(event.action)}
            for event in unseal_events(
                organization=organization, events=feedback_timeline(organization=organization, feedback=item)
            )
        ],
        "conversions_available": bool(conversions()),
        "not_available": NOT_AVAILABLE,
        "triage_note": TRIAGE_DENIED if not triage and has_role(request.membership, Role.STAFF) else "",
    }
    if triage:
        members = assignable_members(organization=organization)
        themes = themes_for(organization=organization)
        context.update(
            assign_form=bound.get("assign_form") or AssignForm(members=members, initial={"assignee": item.assignee_id}),
            themes_form=bound.get("themes_form")
            or ThemesForm(themes=themes, initial={"themes": [t.pk for t in context["item_themes"]]}),
            sentiment_form=bound.get("sentiment_form") or SentimentForm(initial={"sentiment": item.sentiment}),
            link_form=bound.get("link_form") or LinkForm(),
            convert_form=bound.get("convert_form") or ConvertForm(),
            close_form=bound.get("close_form") or CloseForm(),
            attachment_form=bound.get("attachment_form") or AttachmentForm(),
        )
    return render(request, "feedback/inbox/detail.html", context)


@require_GET
@permission("feedback.view")
def feedback_detail(request: MemberRequest, org_slug: str, feedback_id: int) -> HttpResponse:
    item = access_feedback(organization=request.organization, feedback_id=feedback_id)
    return _detail_response(request, item)


@require_http_methods(["GET", "POST"])
@_triage
@permission("feedback.triage")
def feedback_edit(request: MemberRequest, org_slug: str, item: FeedbackItem) -> HttpResponse:
    if item.status == item.Status.CLOSED:
        messages.error(request, "This item is closed. Reopen it to change it.")
        return redirect("feedback:feedback_detail", org_slug=org_slug, feedback_id=item.pk)
    form = _feedback_form(request, item=item, data=request.POST or None, initial=FeedbackForm.initial_for(item))
    if request.method == "POST" and form.is_valid():
        try:
            feedback_update(feedback=item, actor=request.user, **form.recorded())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved {item.reference}.")
            return redirect("feedback:feedback_detail", org_slug=org_slug, feedback_id=item.pk)
    return render(request, "feedback/inbox/form.html", {"form": form, "item": item})


def _apply(
    request: MemberRequest,
    item: FeedbackItem,
    form: forms.Form,
    form_key: str,
    action: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Run one triage action from its form: on success back to the item, on a refusal the page with the reason."""
    if form.is_valid():
        try:
            message = action(form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_service_errors(form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, message)
            return redirect("feedback:feedback_detail", org_slug=request.organization.slug, feedback_id=item.pk)
    return _detail_response(request, item, **{form_key: form})


@require_POST
@_triage
@permission("feedback.triage")
def feedback_assign_view(request: MemberRequest, org_slug: str, item: FeedbackItem) -> HttpResponse:
    form = AssignForm(request.POST, members=assignable_members(organization=request.organization))

    def assign(data: dict[str, Any]) -> str:
        feedback_assign(feedback=item, actor=request.user, assignee=data["assignee"])
        person = data["assignee"]
        return f"{item.reference} assigned to {person.email}." if person else f"{item.reference} is unassigned."

    return _apply(request, item, form, "assign_form", assign)


@require_POST
@_triage
@permission("feedback.triage")
def feedback_themes_view(request: MemberRequest, org_slug: str, item: FeedbackItem) -> HttpResponse:
    form = ThemesForm(request.POST, themes=themes_for(organization=request.organization))

    def tag(data: dict[str, Any]) -> str:
        feedback_set_themes(feedback=item, actor=request.user, themes=data["themes"], new_names=form.new_names())
        return f"Themes of {item.reference} saved."

    return _apply(request, item, form, "themes_form", tag)


@require_POST
@_triage
@permission("feedback.triage")
def feedback_sentiment_view(request: MemberRequest, org_slug: str, item: FeedbackItem) -> HttpResponse:
    form = SentimentForm(request.POST)

    def mark(data: dict[str, Any]) -> str:
        feedback_set_sentiment(feedback=item, actor=request.user, sentiment=data["sentiment"])
        return f"Sentiment of {item.reference} saved."

    return _apply(request, item, form, "sentiment_form", mark)


@require_POST
@_triage
@permission("feedback.triage")
def feedback_link_view(request: MemberRequest, org_slug: str, item: FeedbackItem) -> HttpResponse:
    form = LinkForm(request.POST)

    def link(data: dict[str, Any]) -> str:
        feedback_link(feedback=item, actor=request.user, target_reference=data["reference"])
        return f"{item.reference} linked to {data['reference'].strip().upper()}."

    return _apply(request, item, form, "link_form", link)


@require_POST
@_triage
@permission("feedback.triage")
def feedback_convert_view(request: MemberRequest, org_slug: str, item: FeedbackItem) -> HttpResponse:
    if not conversions():
        messages.error(request, NOT_AVAILABLE)
        return redirect("feedback:feedback_detail", org_slug=org_slug, feedback_id=item.pk)
    form = ConvertForm(request.POST)

    def convert(data: dict[str, Any]) -> str:
        converted = feedback_convert(feedback=item, actor=request.user, kind=data["target"])
        return f"{item.reference} was converted to {converted.converted_to} and closed."

    return _apply(request, item, form, "convert_form", convert)


@require_POST
@_triage
@permission("feedback.triage")
def feedback_close_view(request: MemberRequest, org_slug: str, item: FeedbackItem) -> HttpResponse:
    form = CloseForm(request.POST)

    def close(data: dict[str, Any]) -> str:
        feedback_close(feedback=item, actor=request.user, note=data["note"])
        return f"{item.reference} closed."

    return _apply(request, item, form, "close_form", close)


@require_POST
@_triage
@permission("feedback.triage")
def feedback_reopen_view(request: MemberRequest, org_slug: str, item: FeedbackItem) -> HttpResponse:
    try:
        feedback_reopen(feedback=item, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{item.reference} reopened.")
    return redirect("feedback:feedback_detail", org_slug=org_slug, feedback_id=item.pk)


# --- attachments --------------------------------------------------------------------------------------------


@require_POST
@_triage
@permission("feedback.triage")
def attachment_upload(request: MemberRequest, org_slug: str, item: FeedbackItem) -> HttpResponse:
    form = AttachmentForm(request.POST, request.FILES)

    def upload(data: dict[str, Any]) -> str:
        attachment = attachment_add(feedback=item, actor=request.user, upload=data["file"])
        return f"Attached {attachment.original_name}."

    return _apply(request, item, form, "attachment_form", upload)


@require_GET
@permission("feedback.view")
def attachment_download(request: MemberRequest, org_slug: str, feedback_id: int, attachment_id: int) -> FileResponse:
    """Served only here, to members, always as a download of the type its content was detected as."""
    item = access_feedback(organization=request.organization, feedback_id=feedback_id)
    attachment = access_attachment(organization=request.organization, feedback=item, attachment_id=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=download_name(original_name=attachment.original_name, content_type=attachment.content_type),
        content_type=served_content_type(attachment.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


item_path = "feedback/<int:feedback_id>/"
urlpatterns = [
    path(item_path, feedback_detail, name="feedback_detail"),
    path(f"{item_path}edit/", feedback_edit, name="feedback_edit"),
    path(f"{item_path}assign/", feedback_assign_view, name="feedback_assign"),
    path(f"{item_path}themes/", feedback_themes_view, name="feedback_themes"),
    path(f"{item_path}sentiment/", feedback_sentiment_view, name="feedback_sentiment"),
    path(f"{item_path}links/", feedback_link_view, name="feedback_link"),
    path(f"{item_path}convert/", feedback_convert_view, name="feedback_convert"),
    path(f"{item_path}close/", feedback_close_view, name="feedback_close"),
    path(f"{item_path}reopen/", feedback_reopen_view, name="feedback_reopen"),
    path(f"{item_path}attachments/", attachment_upload, name="attachment_upload"),
    path(f"{item_path}attachments/<int:attachment_id>/", attachment_download, name="attachment_download"),
]
