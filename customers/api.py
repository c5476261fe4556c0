"""The directory's API under /api/v1/o/<org_slug>/: customers and contacts.

Every write goes through the same service as the staff pages, so it is validated and audited the same way. An
id in a request body must name a row of the URL's organisation: anything else is a 400, never a link across
organisations.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.urls import path
from rest_framework import generics, serializers

from customers.filters import ContactFilter, CustomerFilter
from customers.models import Contact, Customer
from customers.services.customers import contact_create, contact_update, customer_create, customer_update
from qms.accounts.models import User
from qms.tenancy.api import (
    OrganizationQuerysetMixin,
    OrganizationRelatedField,
)
from qms.tenancy.api_writes import CreateThroughService, UpdateThroughService
from qms.tenancy.models import Membership, Organization
from qms.tenancy.requests import MemberApiRequest


def customers_of(organization: Organization) -> QuerySet[Customer]:
    return Customer.objects.filter(organization=organization)


def live_contacts_of(organization: Organization) -> QuerySet[Contact]:
    return Contact.objects.filter(organization=organization, erased_at__isnull=True)


def members_of(organization: Organization) -> QuerySet[User]:
    members = Membership.objects.active().filter(organization=organization).values("user_id")
    return get_user_model().objects.filter(pk__in=members)


# --- customers ----------------------------------------------------------------------------------------------


class CustomerOutput(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = [
            "id",
            "kind",
            "name",
            "segment",
            "region",
            "account_owner",
            "external_ref",
            "notes",
            "created_at",
            "updated_at",
            "archived_at",
        ]


class CustomerList(CreateThroughService, OrganizationQuerysetMixin, generics.ListAPIView):
    """The organisation's customers (archived ones included); staff and above may add one."""

    actions = {"GET": "customers.view", "POST": "customers.edit"}

    class CustomerInput(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        kind = serializers.ChoiceField(choices=Customer.Kind.choices, default=Customer.Kind.ORGANISATION)
        segment = serializers.CharField(max_length=100, allow_blank=True, default="")
        region = serializers.CharField(max_length=100, allow_blank=True, default="")
        account_owner = OrganizationRelatedField(noun="member", rows=members_of, allow_null=True, default=None)
        external_ref = serializers.CharField(max_length=100, allow_blank=True, default="")
        notes = serializers.CharField(allow_blank=True, default="")

    create_input = CustomerInput
    model = Customer
    serializer_class = CustomerOutput
    filterset_class = CustomerFilter

    def organization_queryset(self, organization: Organization) -> QuerySet[Customer]:
        return customers_of(organization).select_related("account_owner").order_by("name", "pk")

    def create(self, request: MemberApiRequest, data: dict[str, Any]) -> Customer:
        return customer_create(organization=request.organization, actor=request.user, **data)


class CustomerDetail(UpdateThroughService, OrganizationQuerysetMixin, generics.RetrieveAPIView):
    actions = {"GET": "customers.view", "PATCH": "customers.edit"}

    class CustomerUpdateInput(CustomerList.CustomerInput):
        archived = serializers.BooleanField(required=False)

    update_input = CustomerUpdateInput
    model = Customer
    serializer_class = CustomerOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[Customer]:
        return customers_of(organization).select_related("account_owner")

    def update(self, request: MemberApiRequest, instance: Customer, data: dict[str, Any]) -> Customer:
        return customer_update(customer=instance, actor=request.user, **data)


# --- contacts -----------------------------------------------------------------------------------------------


class ContactOutput(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "name",
            "email",
            "phone",
            "preferred_language",
            "consent",
            "consent_changed_at",
            "consent_source",
            "created_at",
            "updated_at",
            "erased_at",
        ]


class ContactList(CreateThroughService, OrganizationQuerysetMixin, generics.ListAPIView):
    """The organisation's contacts. Erased contacts stay listed (pseudonymised, with `erased_at`), so a connected
    system learns about the erasure and can erase its own copy."""

    actions = {"GET": "customers.view", "POST": "customers.edit"}

    class ContactInput(serializers.Serializer):
        customer = OrganizationRelatedField(noun="customer", rows=customers_of)
        name = serializers.CharField(max_length=200)
        email = serializers.CharField(max_length=254, allow_blank=True, default="")
        phone = serializers.CharField(max_length=40, allow_blank=True, default="")
        preferred_language = serializers.CharField(max_length=10, allow_blank=True, default="en")
        consent = serializers.ChoiceField(choices=Contact.Consent.choices, default=Contact.Consent.UNKNOWN)

    create_input = ContactInput
    model = Contact
    serializer_class = ContactOutput
    filterset_class = ContactFilter

    def organization_queryset(self, organization: Organization) -> QuerySet[Contact]:
        return Contact.objects.filter(organization=organization).order_by("name", "pk")

    def create(self, request: MemberApiRequest, data: dict[str, Any]) -> Contact:
        return contact_create(
            organization=request.organization, actor=request.user, consent_source=Contact.ConsentSource.API, **data
        )


class ContactDetail(UpdateThroughService, OrganizationQuerysetMixin, generics.RetrieveAPIView):
    actions = {"GET": "customers.view", "PATCH": "customers.edit"}

    class ContactUpdateInput(serializers.Serializer):
        """A contact's customer is fixed once it is created (the directory has no move between customers)."""

        name = serializers.CharField(max_length=200)
        email = serializers.CharField(max_length=254, allow_blank=True)
        phone = serializers.CharField(max_length=40, allow_blank=True)
        preferred_language = serializers.CharField(max_length=10, allow_blank=True)
        consent = serializers.ChoiceField(choices=Contact.Consent.choices)

    update_input = ContactUpdateInput
    model = Contact
    serializer_class = ContactOutput

    def organization_queryset(self, organization: Organization) -> QuerySet[Contact]:
        return Contact.objects.filter(organization=organization)

    def update(self, request: MemberApiRequest, instance: Contact, data: dict[str, Any]) -> Contact:
        return contact_update(contact=instance, actor=request.user, consent_source=Contact.ConsentSource.API, **data)


urlpatterns = [
    path("customers/", CustomerList.as_view(), name="api_customers"),
    path("customers/<int:pk>/", CustomerDetail.as_view(), name="api_customer"),
    path("contacts/", ContactList.as_view(), name="api_contacts"),
    path("contacts/<int:pk>/", ContactDetail.as_view(), name="api_contact"),
]
