"""The directory's FilterSets: the customer list page, its CSV export and the customers API filter with one; the
contacts API with the other.

A page drops an invalid value and keeps the other filters (the form says nothing is wrong with the rest); the API
answers 400 naming the parameter (django-filter's DRF backend). Both search the same fields: the customer's name
and external reference, and the names and emails of its live contacts.
"""

from urllib.parse import urlencode

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from customers.models import Contact, Customer
from qms.listing import PageFilterSet
from qms.tenancy.api import id_filter
from qms.tenancy.models import Organization

UNASSIGNED = "none"
ACTIVE, ARCHIVED, ALL = "active", "archived", "all"
UNDELIVERABLE_CHOICES = [("yes", _("Undeliverable"))]
ARCHIVED_CHOICES = [(ACTIVE, _("Active")), (ARCHIVED, _("Archived")), (ALL, _("Active and archived"))]


class CustomerFilter(PageFilterSet):
    # Declared explicitly: django-filter's automatic filters would query the scoped default manager at import.
    q = django_filters.CharFilter(method="filter_search", max_length=200, label="Name, reference or contact contains")
    search = django_filters.CharFilter(method="filter_search", max_length=200, label="The same as q")
    segment = django_filters.CharFilter(lookup_expr="iexact", max_length=100)
    region = django_filters.CharFilter(lookup_expr="iexact", max_length=100)
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices)
    external_ref = django_filters.CharFilter(max_length=100)
    owner = django_filters.CharFilter(
        method="filter_owner", max_length=20, label=f"Account owner: a member's user id, or {UNASSIGNED!r} for nobody"
    )
    archived = django_filters.ChoiceFilter(
        choices=ARCHIVED_CHOICES, method="filter_archived", label="active, archived or all (the API's default: all)"
    )
    undeliverable = django_filters.ChoiceFilter(
        choices=UNDELIVERABLE_CHOICES,
        method="filter_undeliverable",
        label="yes: customers with a contact whose address is undeliverable",
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        term = value.strip()
        if not term:
            return queryset
        # Exists, not a join: a customer with two matching contacts is still one row of the list.
        contacts = Contact.objects.filter(
            organization_id=OuterRef("organization_id"), customer=OuterRef("pk"), erased_at__isnull=True
        ).filter(Q(name__icontains=term) | Q(email__icontains=term))
        return queryset.filter(Q(name__icontains=term) | Q(external_ref__icontains=term) | Exists(contacts))

    def filter_owner(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        if value == UNASSIGNED:
            return queryset.filter(account_owner__isnull=True)
        if value.isascii() and value.isdigit() and 0 < int(value) < 2**63:
            return queryset.filter(account_owner_id=int(value))
        return queryset

    def filter_archived(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        if value == ACTIVE:
            return queryset.filter(archived_at__isnull=True)
        if value == ARCHIVED:
            return queryset.filter(archived_at__isnull=False)
        return queryset

    def filter_undeliverable(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        if value != "yes":
            return queryset
        return queryset.filter(Exists(undeliverable_contacts().filter(customer=OuterRef("pk"))))


def undeliverable_contacts() -> QuerySet[Contact]:
    """The live contacts whose address is marked undeliverable, to correlate by customer (OuterRef)."""
    return Contact.objects.filter(
        organization_id=OuterRef("organization_id"), erased_at__isnull=True, undeliverable_at__isnull=False
    )


def directory_filters(*, organization: Organization, params: QueryDict) -> CustomerFilter:
    """The page's filters over this organisation's customers: active ones unless it asks for archived ones."""
    data = params.copy()
    data.setdefault("archived", ACTIVE)
    return CustomerFilter.for_page(data, Customer.objects.filter(organization=organization))


def is_filtered(filterset: CustomerFilter) -> bool:
    values = filterset.values
    return any(
        values[name] for name in ("q", "segment", "region", "kind", "owner", "external_ref", "undeliverable")
    ) or (values["archived"] not in ("", ACTIVE))


class ContactFilter(django_filters.FilterSet):
    """The API's contact list: by customer, by e-mail address (exact, any case) and by consent."""

    customer = id_filter("customer_id")
    email = django_filters.CharFilter(lookup_expr="iexact")
    consent = django_filters.ChoiceFilter(choices=Contact.Consent.choices)

    class Meta:
        model = Contact
        fields: list[str] = []


def directory_query(filterset: CustomerFilter) -> str:
    """The filters a page applied, as the query string a saved view keeps: the understood, non-empty values in
    a stable order (the default "active" left out, "search" read as q)."""
    values = filterset.values
    kept = {name: value for name, value in values.items() if value and name != "search"}
    if kept.get("archived") == ACTIVE:
        del kept["archived"]
    return urlencode(sorted(kept.items()))
