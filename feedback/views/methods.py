"""The register of monitoring methods (ISO 9001 clause 9.1.2): everyone reads it, owners and managers keep it."""

from collections.abc import Iterable
from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback.filters import method_filters
from feedback.forms.methods import MethodReviewForm, MonitoringMethodForm
from feedback.models import MonitoringMethod
from feedback.selectors.methods import access_method, method_next_review_on, method_reviews
from feedback.services.methods import method_create, method_retire, method_review, method_update
from qms.forms import add_service_errors
from qms.listing import csv_response, paginate
from qms.permissions import permission
from qms.sorting import Sorts
from qms.tenancy.access import WRITERS
from qms.tenancy.models import Membership
from qms.tenancy.requests import MemberRequest
from qms.tenancy.selectors import members_for_organization


def _with_due_dates(methods: Iterable[MonitoringMethod], today: date) -> list[MonitoringMethod]:
    methods = list(methods)
    for method in methods:
        method.next_review_on = method_next_review_on(method)
        method.is_due = method.retired_at is None and method.next_review_on <= today
    return methods


def _owner_choices(request: MemberRequest) -> QuerySet[Membership]:
    """Who may own a method: the organisation's owners, managers and staff (auditors only read)."""
    return members_for_organization(organization=request.organization).filter(role__in=WRITERS)


METHOD_SORTS = Sorts(
    default="name",
    name=("name",),
    kind=("kind", "name"),
    owner=("owner__full_name", "owner__email", "name"),
    reviewed=("last_reviewed_on", "name"),
    next=("next_review", "name"),
)


@permission("methods.view")
def method_list(request: MemberRequest, org_slug: str) -> HttpResponse:
    today = request.organization.today()
    methods = method_filters(organization=request.organization, params=request.GET, today=today).qs
    methods, sorting = METHOD_SORTS.apply(methods, request.GET)
    page = paginate(request, methods)
    page.object_list = _with_due_dates(page.object_list, today)
    return render(
        request,
        "feedback/methods/list.html",
        {
            "page": page,
            "sorting": sorting,
            "today": today,
            "filters": request.GET,
            "kinds": MonitoringMethod.Kind.choices,
            "members": members_for_organization(organization=request.organization),
        },
    )


@permission("methods.view")
def method_export(request: MemberRequest, org_slug: str) -> HttpResponse:
    today = request.organization.today()
    methods = method_filters(organization=request.organization, params=request.GET, today=today).qs
    rows = (
        (
            m.name,
            m.get_kind_display(),
            m.owner.email if m.owner else "",
            m.get_review_frequency_display(),
            m.last_reviewed_on or "",
            m.next_review_on if m.retired_at is None else "",
            _("retired") if m.retired_at else (_("review due") if m.is_due else _("active")),
            m.description,
        )
        for m in _with_due_dates(methods, today)
    )
    return csv_response(
        f"monitoring-methods-{org_slug}.csv",
        [
            _("name"),
            _("kind"),
            pgettext("monitoring method", "owner"),
            _("review frequency"),
            _("last reviewed"),
            _("next review due"),
            _("status"),
            _("description"),
        ],
        rows,
    )


@require_http_methods(["GET", "POST"])
@permission("methods.manage")
def method_create_view(request: MemberRequest, org_slug: str) -> HttpResponse:
    form = MonitoringMethodForm(request.POST or None, members=_owner_choices(request))
    if request.method == "POST" and form.is_valid():
        try:
            method = method_create(organization=request.organization, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)  # a {field: message} error lands on its field
        else:
            messages.success(request, _("“%(name)s” was added to the register.") % {"name": method.name})
            return redirect("feedback:method_list", org_slug=org_slug)
    return render(request, "feedback/methods/form.html", {"form": form, "method": None})


@require_http_methods(["GET", "POST"])
@permission("methods.manage")
def method_edit(request: MemberRequest, org_slug: str, method_id: int) -> HttpResponse:
    method = access_method(organization=request.organization, method_id=method_id)
    form = MonitoringMethodForm(
        request.POST or None,
        members=_owner_choices(request),
        current_owner=method.owner,
        initial=MonitoringMethodForm.initial_for(method),
    )
    if request.method == "POST" and form.is_valid():
        try:
            method_update(method=method, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)  # a {field: message} error lands on its field
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": form.cleaned_data["name"]})
            return redirect("feedback:method_detail", org_slug=org_slug, method_id=method.pk)
    method.next_review_on = method_next_review_on(method)
    return render(request, "feedback/methods/form.html", {"form": form, "method": method})


@require_GET
@permission("methods.view")
def method_detail(request: MemberRequest, org_slug: str, method_id: int) -> HttpResponse:
    """A method's page: what it monitors, who owns it, when it is next reviewed and every review so far."""
    method = access_method(organization=request.organization, method_id=method_id)
    method.next_review_on = method_next_review_on(method)
    method.is_due = method.retired_at is None and method.next_review_on <= request.organization.today()
    context = {"method": method, "reviews": paginate(request, method_reviews(method=method))}
    return render(request, "feedback/methods/detail.html", context)


@require_http_methods(["GET", "POST"])
@permission("methods.manage")
def method_review_view(request: MemberRequest, org_slug: str, method_id: int) -> HttpResponse:
    """Record a review: its outcome and notes, and the day it was held."""
    method = access_method(organization=request.organization, method_id=method_id)
    form = MethodReviewForm(request.POST or None, initial={"reviewed_on": request.organization.today()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                method = method_review(method=method, actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                due = method_next_review_on(method)
                recorded = _("Review of “%(name)s” recorded; the next one is due %(due)s.")
                messages.success(request, recorded % {"name": method.name, "due": date_format(due, "j F Y")})
                return redirect("feedback:method_detail", org_slug=org_slug, method_id=method.pk)
        status = 400
    method.next_review_on = method_next_review_on(method)
    return render(request, "feedback/methods/review.html", {"form": form, "method": method}, status=status)


@require_POST
@permission("methods.manage")
def method_retire_view(request: MemberRequest, org_slug: str, method_id: int) -> HttpResponse:
    method = access_method(organization=request.organization, method_id=method_id)
    try:
        method_retire(method=method, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("“%(name)s” was retired; it stays in the register's history.") % {"name": method.name}
        )
    return redirect("feedback:method_list", org_slug=org_slug)


urlpatterns = [
    path("methods/", method_list, name="method_list"),
    path("methods/new/", method_create_view, name="method_create"),
    path("methods/export.csv", method_export, name="method_export"),
    path("methods/<int:method_id>/", method_detail, name="method_detail"),
    path("methods/<int:method_id>/edit/", method_edit, name="method_edit"),
    path("methods/<int:method_id>/review/", method_review_view, name="method_review"),
    path("methods/<int:method_id>/retire/", method_retire_view, name="method_retire"),
]
