"""The customer directory: customers and their contacts (list, detail, forms, CSV export), and their import.

Every member reads the directory, auditors included; owners, managers and staff edit it; owners and managers
import. Imports are read by owners, managers and auditors.
"""

import datetime
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from customers.filters import (
    ARCHIVED_CHOICES,
    UNASSIGNED,
    UNDELIVERABLE_CHOICES,
    directory_filters,
    directory_query,
    is_filtered,
)
from customers.forms import ContactForm, CustomerForm, ImportConfirmForm, ImportUploadForm
from customers.models import Customer, ImportJob
from customers.selectors.directory import (
    EXPORT_COLUMNS,
    access_contact,
    access_customer,
    access_import_job,
    account_owner_choices,
    customer_directory,
    customer_with_contacts,
    directory_export_rows,
    directory_facets,
    import_jobs_recent,
)
from customers.selectors.saved_views import saved_views_for
from customers.services.customers import contact_create, contact_update, customer_create, customer_update
from customers.services.import_rejected import PreviewRows, rejected_rows_open
from customers.services.imports import (
    COLUMNS,
    TEMPLATE_ROWS,
    WAITING,
    import_job_cancel,
    import_job_confirm,
    import_job_create,
    import_job_requeue,
)
from customers.services.mail_events import contact_deliverable_again
from qms.forms import add_service_errors
from qms.links.selectors import links_of
from qms.listing import csv_response, paginate
from qms.modules import contact_panels, customer_panels
from qms.permissions import permission
from qms.sorting import Sorts
from qms.tenancy.requests import MemberRequest

ERRORS_PER_PAGE = 50
ROWS_PER_PAGE = 25
REQUEUE_AFTER_SECONDS = 10


# --- customers and contacts --------------------------------------------------------------------------------------


CUSTOMER_SORTS = Sorts(
    default="name",
    name=("name",),
    segment=("segment", "name"),
    region=("region", "name"),
    owner=("account_owner__full_name", "account_owner__email", "name"),
    contacts=("contact_count", "name"),
)


@require_GET
@permission("customers.view")
def customer_list(request: MemberRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    filters = directory_filters(organization=organization, params=request.GET)
    customers, sorting = CUSTOMER_SORTS.apply(
        customer_directory(organization=organization, filters=filters), request.GET
    )
    current = directory_query(filters)
    saved = [
        {"name": view.name, "query": view.query, "pk": view.pk, "active": view.query == current}
        for view in saved_views_for(organization=organization, owner=request.user)
    ]
    return render(
        request,
        "customers/customer_list.html",
        {
            "page": paginate(request, customers),
            "sorting": sorting,
            "filters": filters.values,
            "is_filtered": is_filtered(filters),
            "facets": directory_facets(organization=organization),
            "owners": account_owner_choices(organization=organization),
            "kinds": Customer.Kind.choices,
            "archived_choices": ARCHIVED_CHOICES,
            "undeliverable_choices": UNDELIVERABLE_CHOICES,
            "unassigned": UNASSIGNED,
            "current_query": current,
            "saved_views": saved,
        },
    )


@require_GET
@permission("customers.view")
def customer_export(request: MemberRequest, org_slug: str) -> HttpResponse:
    filters = directory_filters(organization=request.organization, params=request.GET)
    rows = directory_export_rows(organization=request.organization, filters=filters)
    stamp = timezone.localdate().isoformat()
    return csv_response(f"customers-{org_slug}-{stamp}.csv", EXPORT_COLUMNS, rows)


@require_http_methods(["GET", "POST"])
@permission("customers.edit")
def customer_create_view(request: MemberRequest, org_slug: str) -> HttpResponse:
    form = CustomerForm(request.POST or None, organization=request.organization)
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_create(organization=request.organization, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Customer %(name)s added.") % {"name": customer.name})
            return redirect("customers:customer_detail", org_slug=org_slug, customer_id=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": None})


@require_GET
@permission("customers.view")
def customer_detail(request: MemberRequest, org_slug: str, customer_id: int) -> HttpResponse:
    customer = customer_with_contacts(organization=request.organization, customer_id=customer_id)
    panels = customer_panels(organization=request.organization, membership=request.membership, customer=customer)
    links = links_of(organization=request.organization, record=customer)
    return render(request, "customers/customer_detail.html", {"customer": customer, "panels": panels, "links": links})


@require_http_methods(["GET", "POST"])
@permission("customers.edit")
def customer_edit(request: MemberRequest, org_slug: str, customer_id: int) -> HttpResponse:
    customer = access_customer(organization=request.organization, customer_id=customer_id)
    form = CustomerForm(request.POST or None, organization=request.organization, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            customer_update(customer=customer, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Customer %(name)s saved.") % {"name": form.cleaned_data["name"]})
            return redirect("customers:customer_detail", org_slug=org_slug, customer_id=customer.pk)
    return render(request, "customers/customer_form.html", {"form": form, "customer": customer})


@require_http_methods(["GET", "POST"])
@permission("customers.edit")
def contact_create_view(request: MemberRequest, org_slug: str, customer_id: int) -> HttpResponse:
    customer = access_customer(organization=request.organization, customer_id=customer_id)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = contact_create(
                organization=request.organization, actor=request.user, customer=customer, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Contact %(name)s added to %(customer)s.") % {"name": contact.name, "customer": customer.name},
            )
            return redirect("customers:customer_detail", org_slug=org_slug, customer_id=customer.pk)
    return render(request, "customers/contact_form.html", {"form": form, "customer": customer})


@require_GET
@permission("customers.view")
def contact_detail(request: MemberRequest, org_slug: str, contact_id: int) -> HttpResponse:
    """A contact's page: how to reach them, their consent, and what the other apps hold of them (their feedback)."""
    contact = access_contact(organization=request.organization, contact_id=contact_id)
    panels = contact_panels(organization=request.organization, membership=request.membership, contact=contact)
    return render(request, "customers/contact_detail.html", {"contact": contact, "panels": panels})


@require_http_methods(["GET", "POST"])
@permission("customers.edit")
def contact_edit(request: MemberRequest, org_slug: str, contact_id: int) -> HttpResponse:
    contact = access_contact(organization=request.organization, contact_id=contact_id)
    form = ContactForm(request.POST or None, contact=contact)
    if request.method == "POST" and form.is_valid():
        try:
            contact_update(contact=contact, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact %(name)s saved.") % {"name": form.cleaned_data["name"]})
            return redirect("customers:contact_detail", org_slug=org_slug, contact_id=contact.pk)
    return render(
        request,
        "customers/contact_form.html",
        {"form": form, "customer": contact.customer, "contact": contact},
    )


@require_POST
@permission("contacts.deliverability")
def contact_deliverable_view(request: MemberRequest, org_slug: str, contact_id: int) -> HttpResponse:
    """A manager says the address works again (the contact said so, the mailbox was fixed)."""
    contact = access_contact(organization=request.organization, contact_id=contact_id)
    try:
        contact_deliverable_again(contact=contact, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The address of %(name)s is deliverable again.") % {"name": contact.name})
    return redirect("customers:contact_detail", org_slug=org_slug, contact_id=contact.pk)


# --- import ------------------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission("customers.import_view", write="customers.import")
def import_start(request: MemberRequest, org_slug: str) -> HttpResponse:
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                job = import_job_create(
                    organization=request.organization, actor=request.user, upload=form.cleaned_data["file"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("customers:import_detail", org_slug=org_slug, job_id=job.pk)
        status = 400
    context = {"form": form, "columns": COLUMNS, "jobs": import_jobs_recent(organization=request.organization)}
    return render(request, "customers/import_start.html", context, status=status)


@require_GET
@permission("customers.import_view")
def import_template(request: MemberRequest, org_slug: str) -> HttpResponse:
    return csv_response("customer-import-template.csv", [column.name for column in COLUMNS], TEMPLATE_ROWS)


@require_GET
@permission("customers.import_view")
def import_detail(request: MemberRequest, org_slug: str, job_id: int) -> HttpResponse:
    job = access_import_job(organization=request.organization, job_id=job_id)
    context = {
        **_job_context(job),
        "transitions": [t.name for t in ImportJob.workflow.available(job, request.membership)],
        "errors_page": paginate(request, job.errors, per_page=ERRORS_PER_PAGE),
        # every row of the file, a page at a time, each valid or with its problem (while the file is kept)
        "rows_page": paginate(request, PreviewRows(job), per_page=ROWS_PER_PAGE, param="rows")
        if job.file and job.total_rows and job.status not in WAITING
        else None,
        "confirm_form": ImportConfirmForm(initial={"mode": _suggested_mode(job)}),
    }
    return render(request, "customers/import_detail.html", context)


@require_GET
@permission("customers.import_view")
def import_progress(request: MemberRequest, org_slug: str, job_id: int) -> HttpResponse:
    """The job's status box, polled by htmx every second while a worker has it; then the whole page reloads."""
    job = access_import_job(organization=request.organization, job_id=job_id)
    if request.htmx and job.status not in WAITING:
        return HttpResponseClientRefresh()
    return render(request, "customers/partials/_import_progress.html", _job_context(job))


@require_POST
@permission("customers.import")
def import_confirm(request: MemberRequest, org_slug: str, job_id: int) -> HttpResponse:
    job = access_import_job(organization=request.organization, job_id=job_id)
    form = ImportConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how to import: every row or nothing, or only the valid rows."))
        return redirect("customers:import_detail", org_slug=org_slug, job_id=job.pk)
    return _job_action(request, job, import_job_confirm, _("Import queued."), mode=form.cleaned_data["mode"])


@require_POST
@permission("customers.import")
def import_cancel(request: MemberRequest, org_slug: str, job_id: int) -> HttpResponse:
    job = access_import_job(organization=request.organization, job_id=job_id)
    return _job_action(request, job, import_job_cancel, _("Import cancelled: nothing was written."))


@require_POST
@permission("customers.import")
def import_requeue(request: MemberRequest, org_slug: str, job_id: int) -> HttpResponse:
    job = access_import_job(organization=request.organization, job_id=job_id)
    return _job_action(request, job, import_job_requeue, _("Queued again for a worker."))


@require_GET
@permission("customers.import_view")
def import_rejected(request: MemberRequest, org_slug: str, job_id: int) -> HttpResponse:
    """The rows the check refused, in the file's own columns with what is wrong: fix them and upload again."""
    job = access_import_job(organization=request.organization, job_id=job_id)
    try:
        header, *rows = rejected_rows_open(job)
    except FileNotFoundError:
        days = settings.IMPORT_FILE_RETENTION_DAYS
        message = (
            # ngettext_lazy keyed by name: the catalogue tool (tests/i18n) extracts only calls of literal arguments.
            ngettext_lazy(
                "The uploaded file and its refused rows are deleted %(days)d day after an import ends, to keep no "
                "more personal data than needed.",
                "The uploaded file and its refused rows are deleted %(days)d days after an import ends, to keep no "
                "more personal data than needed.",
                "days",
            )
            % {"days": days}
            if job.error_rows
            else _("Every row of this file was valid: no row was refused.")
        )
        heading = _("These rows are no longer here") if job.error_rows else _("No row was refused")
        context = {"heading": heading, "message": message}
        return render(request, "410.html", context, status=410 if job.error_rows else 404)
    stem = job.original_name.rsplit(".", 1)[0] or "import"
    return csv_response(f"{stem}-refused-rows.csv", header, rows)


def _job_action(
    request: MemberRequest, job: ImportJob, service: Callable[..., ImportJob], done: str, **kwargs: Any
) -> HttpResponse:
    try:
        service(job=job, actor=request.user, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("customers:import_detail", org_slug=request.organization.slug, job_id=job.pk)


def _job_context(job: ImportJob) -> dict[str, Any]:
    waiting = job.status in WAITING
    queued_at = parse_datetime(job.summary.get("queued_at") or "") if waiting else None
    waited = (timezone.now() - queued_at).total_seconds() if queued_at else 0
    return {
        "job": job,
        "waiting": waiting,
        "not_started": waiting and job.processed_rows == 0,
        "offer_requeue": waiting and job.processed_rows == 0 and waited >= REQUEUE_AFTER_SECONDS,
        "percent": min(100, job.processed_rows * 100 // job.total_rows) if job.total_rows else None,
        "time_left": (left := _time_left(job, waited) if waiting else None),
        "finishes_at": timezone.now() + left if left else None,
        "file_deleted_at": parse_datetime(job.summary.get("file_deleted_at") or ""),
        "preview_columns": [
            {"name": name, "read_from": job.summary.get("read_as", {}).get(name, "")}
            for name in job.summary.get("columns", [])
        ],
        "retention_days": settings.IMPORT_FILE_RETENTION_DAYS,
    }


def _time_left(job: ImportJob, seconds: float) -> datetime.timedelta | None:
    """How long the rest will take at the pace so far, once there is a pace and a total to measure it by."""
    done, total = job.processed_rows, job.total_rows
    if not (0 < done < total) or seconds <= 0:
        return None
    return datetime.timedelta(seconds=round(seconds / done * (total - done)))


def _suggested_mode(job: ImportJob) -> str:
    return ImportJob.Mode.VALID_ONLY if job.error_rows else ImportJob.Mode.ALL_OR_NOTHING


urlpatterns = [
    path("customers/", customer_list, name="customer_list"),
    path("customers/new/", customer_create_view, name="customer_create"),
    path("customers/export.csv", customer_export, name="customer_export"),
    path("customers/<int:customer_id>/", customer_detail, name="customer_detail"),
    path("customers/<int:customer_id>/edit/", customer_edit, name="customer_edit"),
    path("customers/<int:customer_id>/contacts/new/", contact_create_view, name="contact_create"),
    path("contacts/<int:contact_id>/", contact_detail, name="contact_detail"),
    path("contacts/<int:contact_id>/edit/", contact_edit, name="contact_edit"),
    path("contacts/<int:contact_id>/deliverable/", contact_deliverable_view, name="contact_deliverable"),
    path("customers/import/", import_start, name="import_start"),
    path("customers/import/template.csv", import_template, name="import_template"),
    path("customers/import/<int:job_id>/", import_detail, name="import_detail"),
    path("customers/import/<int:job_id>/progress/", import_progress, name="import_progress"),
    path("customers/import/<int:job_id>/confirm/", import_confirm, name="import_confirm"),
    path("customers/import/<int:job_id>/cancel/", import_cancel, name="import_cancel"),
    path("customers/import/<int:job_id>/requeue/", import_requeue, name="import_requeue"),
    path("customers/import/<int:job_id>/refused.csv", import_rejected, name="import_rejected"),
]
