"""One feedback item: its page, editing, triage (assign, themes, sentiment, link, convert, close, reopen), attachments.

Every member reads the item and downloads its files; owners and managers triage any item, staff only the items
assigned to them (others get a 403 page saying so). The middleware already refuses auditors' writes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback.conversion import NOT_AVAILABLE, conversions
from feedback.forms.inbox import AttachmentForm, CloseForm, ConvertForm, FeedbackForm, LinkForm, TriageForm
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
    feedback_close,
    feedback_convert,
    feedback_link,
    feedback_reopen,
    feedback_triage,
    feedback_update,
)
from feedback.views.inbox import feedback_form_for
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


@dataclass(frozen=True)
class TriageAction:
    """One triage action of the item page, posted to `feedback/<id>/<segment>/` (route `feedback:<name>`).

    `form` builds its form: bound to the POST when given data, otherwise unbound with the item's current values, as
    the page shows it under `<key>_form`. `perform` runs the service with the cleaned data and returns the message
    the page reports; a ValidationError with field errors goes back onto the form, any other one is shown as the
    reason of the refusal. `unavailable` names why the action cannot run at all right now ("" when it can).
    """

    segment: str
    name: str
    key: str
    form: Callable[
        [MemberRequest, FeedbackItem, QueryDict | None, MultiValueDict[str, UploadedFile] | None], forms.Form
    ]
    perform: Callable[[MemberRequest, FeedbackItem, forms.Form], str]
    unavailable: Callable[[], str] = lambda: ""


def _triage_saved(request: MemberRequest, item: FeedbackItem, form: forms.Form) -> str:
    assert isinstance(form, TriageForm)
    data = form.cleaned_data
    item, changed = feedback_triage(
        feedback=item,
        actor=request.user,
        assignee=data["assignee"],
        themes=data["themes"],
        new_names=form.new_names(),
        sentiment=data["sentiment"],
    )
    if not changed:
        return _("Nothing changed on %(reference)s.") % {"reference": item.reference}
    said = []
    if "assignee" in changed:
        assignee = item.assignee
        said.append(_("assigned to %(person)s") % {"person": assignee.get_full_name()} if assignee else _("unassigned"))
    if "themes" in changed:
        names = ", ".join(theme.name for theme in item.themes.all())
        said.append(_("themes %(names)s") % {"names": names} if names else _("no themes"))
    if "sentiment" in changed:
        sentiment = item.get_sentiment_display().lower()
        said.append(
            _("sentiment %(sentiment)s") % {"sentiment": sentiment} if item.sentiment else _("sentiment not set")
        )
    # Each change is a clause of its own, listed after the reference: "Saved F-2026-0042: unassigned; no themes."
    return _("Saved %(reference)s: %(changes)s.") % {"reference": item.reference, "changes": "; ".join(said)}


def _link(request: MemberRequest, item: FeedbackItem, form: forms.Form) -> str:
    reference = form.cleaned_data["reference"]
    feedback_link(feedback=item, actor=request.user, target_reference=reference)
    return _("%(reference)s linked to %(other)s.") % {"reference": item.reference, "other": reference.strip().upper()}


def _convert(request: MemberRequest, item: FeedbackItem, form: forms.Form) -> str:
    converted = feedback_convert(feedback=item, actor=request.user, kind=form.cleaned_data["target"])
    message = _("%(reference)s was converted to %(converted_to)s and closed.")
    return message % {"reference": item.reference, "converted_to": converted.converted_to}


def _close(request: MemberRequest, item: FeedbackItem, form: forms.Form) -> str:
    feedback_close(feedback=item, actor=request.user, note=form.cleaned_data["note"])
    return _("%(reference)s closed.") % {"reference": item.reference}


def _reopen(request: MemberRequest, item: FeedbackItem, form: forms.Form) -> str:
    feedback_reopen(feedback=item, actor=request.user)
    return _("%(reference)s reopened.") % {"reference": item.reference}


def _upload(request: MemberRequest, item: FeedbackItem, form: forms.Form) -> str:
    attachment = attachment_add(feedback=item, actor=request.user, upload=form.cleaned_data["file"])
    return _("Attached %(file)s.") % {"file": attachment.original_name}


TRIAGE_ACTIONS: tuple[TriageAction, ...] = (
    TriageAction(
        "triage",
        "feedback_triage",
        "triage",
        lambda request, item, data, files: TriageForm(
            data,
            members=assignable_members(organization=request.organization),
            themes=themes_for(organization=request.organization),
            initial=TriageForm.initial_for(item),
        ),
        _triage_saved,
    ),
    TriageAction("links", "feedback_link", "link", lambda request, item, data, files: LinkForm(data), _link),
    TriageAction(
        "convert",
        "feedback_convert",
        "convert",
        lambda request, item, data, files: ConvertForm(data),
        _convert,
        unavailable=lambda: "" if conversions() else _(NOT_AVAILABLE),
    ),
    TriageAction("close", "feedback_close", "close", lambda request, item, data, files: CloseForm(data), _close),
    TriageAction("reopen", "feedback_reopen", "reopen", lambda request, item, data, files: forms.Form(data), _reopen),
    TriageAction(
        "attachments",
        "attachment_upload",
        "attachment",
        lambda request, item, data, files: AttachmentForm(data, files),
        _upload,
    ),
)


def _detail_response(
    request: MemberRequest, item: FeedbackItem, failed: tuple[str, forms.Form] | None = None
) -> HttpResponse:
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
                organization=organization,
                events=feedback_timeline(organization=organization, feedback=item).select_related("actor"),
            )
        ],
        "conversions_available": bool(conversions()),
        "not_available": _(NOT_AVAILABLE),
        "triage_note": TRIAGE_DENIED if not triage and has_role(request.membership, Role.STAFF) else "",
    }
    if triage:
        for action in TRIAGE_ACTIONS:
            context[f"{action.key}_form"] = action.form(request, item, None, None)
        if failed:
            key, form = failed
            context[f"{key}_form"] = form
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
        messages.error(request, _("This item is closed. Reopen it to change it."))
        return redirect("feedback:feedback_detail", org_slug=org_slug, feedback_id=item.pk)
    form = feedback_form_for(request, item=item, initial=FeedbackForm.initial_for(item))
    if request.method == "POST" and form.is_valid():
        try:
            feedback_update(feedback=item, actor=request.user, **form.recorded())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved %(reference)s.") % {"reference": item.reference})
            return redirect("feedback:feedback_detail", org_slug=org_slug, feedback_id=item.pk)
    return render(request, "feedback/inbox/form.html", {"form": form, "item": item})


@require_POST
@_triage
@permission("feedback.triage")
def triage_action(request: MemberRequest, org_slug: str, item: FeedbackItem, action: TriageAction) -> HttpResponse:
    """Run one triage action from its form: on success back to the item; on a refusal the page with the reason,
    and the bound form with its errors (what was typed stays). From htmx the item's page comes back at once, and the
    page swaps its panels and messages in place (templates/feedback/inbox/detail.html); without JavaScript it is an
    ordinary POST and redirect."""

    def back() -> HttpResponse:
        if request.htmx:
            return _detail_response(request, access_feedback(organization=request.organization, feedback_id=item.pk))
        return redirect("feedback:feedback_detail", org_slug=org_slug, feedback_id=item.pk)

    if reason := action.unavailable():
        messages.error(request, reason)
        return back()
    form = action.form(request, item, request.POST, request.FILES)
    if form.is_valid():
        try:
            message = action.perform(request, item, form)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                add_service_errors(form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, message)
            return back()
    if not form.fields:
        return back()
    return _detail_response(request, item, failed=(action.key, form))


# --- attachments --------------------------------------------------------------------------------------------


@require_GET
@permission("feedback.view")
def attachment_download(request: MemberRequest, org_slug: str, feedback_id: int, attachment_id: int) -> FileResponse:
    """Served only here, to members, always as a download of the type its content was detected as."""
    item = access_feedback(organization=request.organization, feedback_id=feedback_id)
    attachment = access_attachment(organization=request.organization, feedback=item, attachment_id=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing from storage.")) from exc
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
    *(
        path(f"{item_path}{action.segment}/", triage_action, {"action": action}, name=action.name)
        for action in TRIAGE_ACTIONS
    ),
    path(f"{item_path}attachments/<int:attachment_id>/", attachment_download, name="attachment_download"),
]
