"""Reads of the customer directory and its imports. Every function takes the organisation and filters by it."""

from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, TypedDict

from django.contrib.auth import get_user_model
from django.db.models import Count, FilteredRelation, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.query import Prefetch
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from customers.filters import CustomerFilter
from customers.models import Contact, Customer, ImportJob
from customers.services.import_rows import COLUMN_NAMES, EXPORT_ONLY
from qms.accounts.models import User
from qms.dashboard import NEEDED, NEW, Attention, AttentionItem, Period
from qms.modules import DashboardCard
from qms.permissions import may
from qms.tenancy.access import WRITERS, get_object_for_member
from qms.tenancy.models import Membership, Organization

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations  # a dev dependency: for the type checker only

# The export's columns are the import's, so an export can be edited and imported again, and then how each contact's
# consent was given (which the import reads past).
EXPORT_COLUMNS = [*COLUMN_NAMES, *EXPORT_ONLY]
ATTENTION_ITEMS = 5  # the first items of each dashboard list; the list links to the rest


class LiveContacts(TypedDict):
    live_contacts: list[Contact]  # Prefetch(to_attr="live_contacts"): the customer's contacts not erased


def _live_contacts(organization: Organization) -> QuerySet[Contact]:
    return Contact.objects.filter(organization=organization, erased_at__isnull=True)


def customers_filtered(*, organization: Organization, filters: CustomerFilter) -> QuerySet[Customer]:
    return filters.qs.filter(organization=organization)


def customer_directory(*, organization: Organization, filters: CustomerFilter) -> QuerySet[Customer]:
    """The list page's rows: each customer with its account owner, its number of contacts and its first contact.

    Everything is in one query (subqueries, not a query per row), whatever the page size.
    """
    contacts = _live_contacts(organization).filter(customer=OuterRef("pk")).order_by()
    count = contacts.values("customer").annotate(n=Count("pk")).values("n")
    undeliverable = contacts.filter(undeliverable_at__isnull=False).values("customer").annotate(n=Count("pk"))
    first = contacts.order_by("name", "pk")
    return (
        customers_filtered(organization=organization, filters=filters)
        .select_related("account_owner")
        .annotate(
            contact_count=Coalesce(Subquery(count, output_field=IntegerField()), Value(0)),
            undeliverable_count=Coalesce(Subquery(undeliverable.values("n"), output_field=IntegerField()), Value(0)),
            first_contact_name=Subquery(first.values("name")[:1]),
            first_contact_email=Subquery(first.values("email")[:1]),
        )
        .order_by("name", "pk")
    )


def directory_export_rows(*, organization: Organization, filters: CustomerFilter) -> Iterator[tuple]:
    """One row per contact with its customer's fields, in EXPORT_COLUMNS order; a customer without contacts
    still has one row (a LEFT JOIN on its live contacts). One query, streamed."""
    rows = (
        customers_filtered(organization=organization, filters=filters)
        .annotate(live=FilteredRelation("contacts", condition=Q(contacts__erased_at__isnull=True)))
        .order_by("name", "pk", "live__name", "live__pk")
        .values_list(
            "name",
            "kind",
            "segment",
            "region",
            "external_ref",
            "account_owner__email",
            "live__name",
            "live__email",
            "live__phone",
            "live__preferred_language",
            "live__consent",
            "live__consent_source",
        )
    )
    return rows.iterator(chunk_size=2000)


def directory_facets(*, organization: Organization) -> dict[str, list[str]]:
    """The segments and regions in use, for the filter drop-downs."""
    customers = Customer.objects.filter(organization=organization).order_by()
    return {
        field: list(customers.exclude(**{field: ""}).values_list(field, flat=True).distinct().order_by(field))
        for field in ("segment", "region")
    }


def account_owner_choices(*, organization: Organization, include_user_id: int | None = None) -> QuerySet[User]:
    """People who may own a customer account: this organisation's active owners, managers and staff.

    `include_user_id` keeps a customer's current owner selectable after they left, so editing other fields of
    that customer does not force a new owner on the person editing.
    """
    members = Membership.objects.active().filter(organization=organization, role__in=WRITERS).values("user_id")
    condition = Q(pk__in=members)
    if include_user_id:
        condition |= Q(pk=include_user_id)
    return get_user_model().objects.filter(condition).order_by("email")


def account_owner_emails(*, organization: Organization) -> dict[str, int]:
    """{email in lower case: user id} of the people who may own a customer account (for the import)."""
    return {
        email.lower(): pk for pk, email in account_owner_choices(organization=organization).values_list("pk", "email")
    }


def access_customer(*, organization: Organization, customer_id: int) -> Customer:
    return get_object_for_member(
        Customer.objects.select_related("account_owner"), organization=organization, pk=customer_id
    )


def access_contact(*, organization: Organization, contact_id: int) -> Contact:
    return get_object_for_member(
        Contact.objects.select_related("customer").filter(erased_at__isnull=True),
        organization=organization,
        pk=contact_id,
    )


def customer_with_contacts(*, organization: Organization, customer_id: int) -> Customer:
    """One customer and its live contacts (two queries)."""
    queryset = Customer.objects.select_related("account_owner").prefetch_related(
        Prefetch("contacts", queryset=_live_contacts(organization).order_by("name", "pk"), to_attr="live_contacts")
    )
    return get_object_for_member(queryset, organization=organization, pk=customer_id)


def customers_with_live_contacts(*, organization: Organization) -> "list[WithAnnotations[Customer, LiveContacts]]":
    """Every current customer with its live contacts (two queries), in name order."""
    return list(
        Customer.objects.filter(organization=organization, archived_at__isnull=True)
        .order_by("name", "pk")
        .prefetch_related(
            Prefetch("contacts", queryset=_live_contacts(organization).order_by("name", "pk"), to_attr="live_contacts")
        )
    )


def access_import_job(*, organization: Organization, job_id: int) -> ImportJob:
    return get_object_for_member(ImportJob.objects.select_related("created_by"), organization=organization, pk=job_id)


def import_jobs_recent(*, organization: Organization, limit: int = 10) -> list[ImportJob]:
    return list(
        ImportJob.objects.filter(organization=organization)
        .select_related("created_by")
        .defer("errors", "summary")
        .order_by("-created_at", "-pk")[:limit]
    )


def dashboard_cards(*, organization: Organization, membership: Membership, period: Period) -> list[DashboardCard]:
    """Customers added over `period` against the previous one, and the directory's size, in one query."""
    previous = period.previous
    live = Q(archived_at__isnull=True)
    counts = Customer.objects.filter(organization=organization).aggregate(
        customers=Count("pk", filter=live, distinct=True),
        contacts=Count("contacts", filter=live & Q(contacts__erased_at__isnull=True), distinct=True),
        added=Count("pk", filter=Q(created_at__gte=period.since, created_at__lt=period.until), distinct=True),
        added_before=Count(
            "pk", filter=Q(created_at__gte=previous.since, created_at__lt=previous.until), distinct=True
        ),
    )
    directory = reverse("customers:customer_list", kwargs={"org_slug": organization.slug})
    # ngettext_lazy keyed by name: the catalogue tool (tests/i18n) extracts only calls of literal arguments.
    size = ngettext_lazy("%(n)d customer in the directory", "%(n)d customers in the directory", "n")
    added = DashboardCard(
        _("Customers added"),
        counts["added"],
        directory,
        hint=size % {"n": counts["customers"]},
        previous=counts["added_before"],
        order=10,
    )
    return [
        added,
        DashboardCard(_("Contacts"), counts["contacts"], directory, hint=_("people you can reach"), order=11),
    ]


def dashboard_attention(
    *, organization: Organization, membership: Membership, since: datetime, today: date
) -> list[Attention]:
    """Imports checked and waiting for someone to write them (for those who may import), and customers added since
    `since`."""
    found = []
    directory = reverse("customers:customer_list", kwargs={"org_slug": organization.slug})
    if may(membership, "customers.import"):
        waiting = ImportJob.objects.filter(organization=organization, status=ImportJob.Status.PREVIEW)
        jobs = list(waiting.defer("errors", "summary").order_by("created_at", "pk")[: ATTENTION_ITEMS + 1])
        found.append(
            Attention(
                NEEDED,
                _("Imports waiting for you"),
                len(jobs) if len(jobs) <= ATTENTION_ITEMS else waiting.count(),
                reverse("customers:import_start", kwargs={"org_slug": organization.slug}),
                tuple(_import_item(job, organization) for job in jobs[:ATTENTION_ITEMS]),
                order=30,
            )
        )
    added = Customer.objects.filter(organization=organization, created_at__gt=since)
    customers = list(added.order_by("-created_at", "-pk")[: ATTENTION_ITEMS + 1])
    items = tuple(
        AttentionItem(
            customer.name,
            reverse("customers:customer_detail", kwargs={"org_slug": organization.slug, "customer_id": customer.pk}),
            " · ".join(filter(None, [customer.segment, customer.region])),
            customer.created_at,
        )
        for customer in customers[:ATTENTION_ITEMS]
    )
    count = len(customers) if len(customers) <= ATTENTION_ITEMS else added.count()
    found.append(Attention(NEW, _("New customers"), count, directory, items, order=10))
    return found


def _import_item(job: ImportJob, organization: Organization) -> AttentionItem:
    rows = ngettext_lazy("%(n)d row ready", "%(n)d rows ready", "n") % {"n": job.valid_rows}
    return AttentionItem(
        job.original_name,
        reverse("customers:import_detail", kwargs={"org_slug": organization.slug, "job_id": job.pk}),
        rows,
        job.created_at,
    )
