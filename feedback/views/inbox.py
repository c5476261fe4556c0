"""The feedback inbox: the filtered list with saved views and CSV export, and recording feedback.

Every member reads; owners, managers and staff record feedback. The middleware already refuses auditors' writes.
One item's page, triage and attachments are in feedback/views/triage.py.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback.filters import FeedbackFilter, inbox_filters
from feedback.forms.bulk import BulkForm
from feedback.forms.inbox import REFRESH, FeedbackForm, SavedViewForm, builtin_views
from feedback.models import FeedbackItem
from feedback.selectors.inbox import (
    access_saved_view,
    assignable_members,
    chosen_customer,
    contact_choices,
    customer_choices,
    feedback_items,
    saved_views_for,
    themes_for,
)
from feedback.services.inbox import attachment_add, feedback_create, saved_view_create, saved_view_delete
from qms.forms import add_service_errors
from qms.listing import csv_response, paginate
from qms.permissions import may, permission
from qms.sorting import Sorts
from qms.tenancy.requests import MemberRequest

# --- the list -----------------------------------------------------------------------------------------------

INBOX_SORTS = Sorts(
    default="-received",
    reference=("reference",),
    received=("received_on", "created_at"),
    kind=("kind",),
    assignee=("assignee__full_name", "assignee__email"),
    status=("status",),
    # the customer, then the person: the From column reads "Customer · Person"
    **{"from": ("customer__name", "contact__name", "submitter_name")},
)


def _filter_form(request: MemberRequest, data: QueryDict) -> FeedbackFilter:
    return inbox_filters(request=request, params=data, queryset=feedback_items(organization=request.organization))


def _inbox_url(org_slug: str, query: str = "") -> str:
    url = reverse("feedback:inbox", kwargs={"org_slug": org_slug})
    return f"{url}?{query}" if query else url


def _views(request: MemberRequest, current: str) -> tuple[list[dict], list[dict]]:
    builtin = [
        {"name": name, "query": query, "active": query == current}
        for name, query in builtin_views(request.organization.today())
    ]
    saved = [
        {"name": view.name, "query": view.query, "active": view.query == current, "pk": view.pk}
        for view in saved_views_for(organization=request.organization, owner=request.user)
    ]
    return builtin, saved


def bulk_form(request: MemberRequest, data: QueryDict | None = None) -> BulkForm:
    """The inbox's bulk bar, with this organisation's members and themes to choose from (the list and the POST)."""
    organization = request.organization
    return BulkForm(
        data,
        members=assignable_members(organization=organization),
        themes=themes_for(organization=organization),
        initial={"query": request.GET.urlencode()},
    )


@require_GET
@permission("feedback.view")
def inbox(request: MemberRequest, org_slug: str) -> HttpResponse:
    filters = _filter_form(request, request.GET)
    items, sorting = INBOX_SORTS.apply(filters.qs, request.GET)
    page = paginate(request, items)
    current = filters.querystring()
    builtin, saved = _views(request, current)
    return render(
        request,
        "feedback/inbox/list.html",
        {
            "page": page,
            "sorting": sorting,
            "form": filters.form,
            "current_query": current,
            "builtin_views": builtin,
            "saved_views": saved,
            "save_form": SavedViewForm(initial={"query": current}),
            "is_filtered": bool(current),
            "bulk_form": bulk_form(request) if may(request.membership, "feedback.triage") else None,
        },
    )


@require_GET
@permission("feedback.view")
def inbox_export(request: MemberRequest, org_slug: str) -> HttpResponse:
    items = _filter_form(request, request.GET).qs
    rows = (
        (
            item.reference,
            item.received_on.isoformat(),
            item.get_status_display(),
            item.get_kind_display(),
            item.get_channel_display(),
            item.customer.name if item.customer else "",
            item.contact.name if item.contact else "",
            item.submitter_name,
            item.submitter_email,
            item.product,
            item.assignee.email if item.assignee else "",
            "; ".join(theme.name for theme in item.themes.all()),
            item.get_sentiment_display(),
            item.text,
            item.closing_note,
            item.converted_to,
        )
        for item in items.iterator(chunk_size=2000)
    )
    header = [  # the columns a person reads, in their language (the values are too)
        _("reference"),
        _("received on"),
        _("status"),
        _("kind"),
        _("channel"),
        _("customer"),
        _("contact"),
        _("submitter name"),
        _("submitter email"),
        _("product or service"),
        _("assignee"),
        _("themes"),
        _("sentiment"),
        _("text"),
        _("closing note"),
        _("converted to"),
    ]
    return csv_response(f"feedback-{org_slug}.csv", header, rows)


@require_POST
@permission("feedback.saved_views")
def saved_view_create_view(request: MemberRequest, org_slug: str) -> HttpResponse:
    form = SavedViewForm(request.POST)
    query = _filter_form(request, QueryDict(request.POST.get("query", ""))).querystring()
    if not form.is_valid():
        messages.error(request, _("Give the view a name (at most 80 characters)."))
        return redirect(_inbox_url(org_slug, query))
    try:
        view = saved_view_create(
            organization=request.organization, owner=request.user, name=form.cleaned_data["name"], query=query
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_inbox_url(org_slug, query))
    messages.success(request, _("Saved the view “%(name)s”.") % {"name": view.name})
    return redirect(_inbox_url(org_slug, view.query))


@require_POST
@permission("feedback.saved_views")
def saved_view_delete_view(request: MemberRequest, org_slug: str, view_id: int) -> HttpResponse:
    view = access_saved_view(organization=request.organization, owner=request.user, saved_view_id=view_id)
    saved_view_delete(saved_view=view, actor=request.user)
    messages.success(request, _("Deleted the view “%(name)s”.") % {"name": view.name})
    return redirect(_inbox_url(org_slug))


# --- recording ----------------------------------------------------------------------------------------------


def _feedback_form(
    request: MemberRequest,
    *,
    item: FeedbackItem | None = None,
    data: QueryDict | None = None,
    files: MultiValueDict[str, UploadedFile] | None = None,
    initial: dict[str, Any] | None = None,
) -> FeedbackForm:
    organization = request.organization
    recorded = getattr(item, "customer", None)
    values = data if data is not None else initial or {}
    customer = chosen_customer(organization=organization, value=values.get("customer"), include=recorded)
    return FeedbackForm(
        data,
        files,
        initial=initial,
        customers=customer_choices(organization=organization, include=recorded),
        contacts=contact_choices(organization=organization, customer=customer, include=getattr(item, "contact", None)),
        customer=customer,
        refresh_url=request.path,
        with_attachment=item is None,
        today=organization.today(),
    )


def feedback_form_for(
    request: MemberRequest, *, initial: dict[str, Any], item: FeedbackItem | None = None
) -> FeedbackForm:
    """The record or edit form of this request: bound to what was posted; or, on a GET (htmx asks for the contacts
    of a customer this way) and when "Show its contacts" was pressed, unbound with what was entered as its initial
    values, so that nothing is saved and no error is shown yet."""
    refresh = request.method == "POST" and REFRESH in request.POST
    bound = request.method == "POST" and not refresh
    source = request.POST if refresh else request.GET
    entered = {name: source[name] for name in FeedbackForm.base_fields if name in source and name != "attachment"}
    return _feedback_form(
        request,
        item=item,
        data=(request.POST or None) if bound else None,
        files=(request.FILES or None) if bound else None,
        initial={**initial, **entered},
    )


@require_http_methods(["GET", "POST"])
@permission("feedback.record")
def feedback_create_view(request: MemberRequest, org_slug: str) -> HttpResponse:
    form = feedback_form_for(request, initial={"received_on": request.organization.today()})
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                item = feedback_create(organization=request.organization, actor=request.user, **form.recorded())
                if form.cleaned_data.get("attachment"):
                    attachment_add(feedback=item, actor=request.user, upload=form.cleaned_data["attachment"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Recorded %(reference)s.") % {"reference": item.reference})
            return redirect("feedback:feedback_detail", org_slug=org_slug, feedback_id=item.pk)
    return render(request, "feedback/inbox/form.html", {"form": form, "item": None})


urlpatterns = [
    path("feedback/", inbox, name="inbox"),
    path("feedback/export.csv", inbox_export, name="inbox_export"),
    path("feedback/new/", feedback_create_view, name="feedback_create"),
    path("feedback/views/", saved_view_create_view, name="saved_view_create"),
    path("feedback/views/<int:view_id>/delete/", saved_view_delete_view, name="saved_view_delete"),
]
