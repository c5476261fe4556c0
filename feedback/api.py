"""The feedback app's API under /api/v1/o/<org_slug>/: customers, contacts and feedback items.

Every write goes through the same service as the staff pages, so it is validated and audited the same way. An
id in a request body must name a row of the URL's organisation: anything else is a 400, never a link across
organisations.
"""

from contextlib import contextmanager

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from feedback.models import Contact, Customer, FeedbackItem
from feedback.selectors.inbox import can_triage, feedback_items
from feedback.services.customers import contact_create, contact_update, customer_create, customer_update
from feedback.services.inbox import feedback_create, feedback_set_sentiment, feedback_update
from qms.tenancy.api import OrganizationQuerysetMixin, api_membership, id_filter
from qms.tenancy.models import Membership


@contextmanager
def service_errors():
    """A service's ValidationError becomes a 400 with its messages; a half-done write is rolled back."""
    try:
        with transaction.atomic():
            yield
    except DjangoValidationError as exc:
        raise serializers.ValidationError(serializers.as_serializer_error(exc)) from exc


@extend_schema_field(OpenApiTypes.INT)
class OrganizationRelatedField(serializers.PrimaryKeyRelatedField):
    """The id of a row of the request's organisation; another organisation's id reads as unknown."""

    default_error_messages = {
        "does_not_exist": "No {noun} with id {pk_value} in this organisation.",
        "incorrect_type": "Give the {noun}'s id as a number.",
    }

    def __init__(self, *, noun: str, rows, **kwargs):
        self.noun, self.rows = noun, rows
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.rows(self.context["request"].organization)

    def fail(self, key, **kwargs):
        return super().fail(key, noun=self.noun, **kwargs)


def _customers(organization):
    return Customer.objects.filter(organization=organization)


def _live_contacts(organization):
    return Contact.objects.filter(organization=organization, erased_at__isnull=True)


def _members(organization):
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


class CustomerFilter(django_filters.FilterSet):
    # Declared explicitly: django-filter's automatic filters query the scoped default manager at import time.
    search = django_filters.CharFilter(method="filter_search", label="Name or external reference contains")
    segment = django_filters.CharFilter(lookup_expr="iexact")
    region = django_filters.CharFilter(lookup_expr="iexact")
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices)
    external_ref = django_filters.CharFilter()

    class Meta:
        model = Customer
        fields = []

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(external_ref__icontains=value))


class CustomerList(OrganizationQuerysetMixin, generics.ListAPIView):
    """The organisation's customers (archived ones included); staff and above may add one."""

    class CustomerInput(serializers.Serializer):
        name = serializers.CharField(max_length=200)
        kind = serializers.ChoiceField(choices=Customer.Kind.choices, default=Customer.Kind.ORGANISATION)
        segment = serializers.CharField(max_length=100, allow_blank=True, default="")
        region = serializers.CharField(max_length=100, allow_blank=True, default="")
        account_owner = OrganizationRelatedField(noun="member", rows=_members, allow_null=True, default=None)
        external_ref = serializers.CharField(max_length=100, allow_blank=True, default="")
        notes = serializers.CharField(allow_blank=True, default="")

    model = Customer
    serializer_class = CustomerOutput
    filterset_class = CustomerFilter

    def organization_queryset(self, organization):
        return _customers(organization).select_related("account_owner").order_by("name", "pk")

    @extend_schema(request=CustomerInput, responses={201: CustomerOutput})
    def post(self, request, org_slug):
        data = self.CustomerInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        with service_errors():
            customer = customer_create(organization=request.organization, actor=request.user, **data.validated_data)
        return Response(CustomerOutput(customer).data, status=status.HTTP_201_CREATED)


class CustomerDetail(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    class CustomerUpdateInput(CustomerList.CustomerInput):
        archived = serializers.BooleanField(required=False)

    model = Customer
    serializer_class = CustomerOutput

    def organization_queryset(self, organization):
        return _customers(organization).select_related("account_owner")

    @extend_schema(request=CustomerUpdateInput, responses={200: CustomerOutput})
    def patch(self, request, org_slug, pk):
        customer = self.get_object()
        data = self.CustomerUpdateInput(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        current = {
            "name": customer.name,
            "kind": customer.kind,
            "segment": customer.segment,
            "region": customer.region,
            "account_owner": customer.account_owner,
            "external_ref": customer.external_ref,
            "notes": customer.notes,
            "archived": customer.archived_at is not None,
        }
        with service_errors():
            customer = customer_update(customer=customer, actor=request.user, **{**current, **data.validated_data})
        return Response(CustomerOutput(customer).data)


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
            "created_at",
            "updated_at",
            "erased_at",
        ]


class ContactFilter(django_filters.FilterSet):
    customer = id_filter("customer_id")
    email = django_filters.CharFilter(lookup_expr="iexact")
    consent = django_filters.ChoiceFilter(choices=Contact.Consent.choices)

    class Meta:
        model = Contact
        fields = []


class ContactList(OrganizationQuerysetMixin, generics.ListAPIView):
    """The organisation's contacts. Erased contacts stay listed (pseudonymised, with `erased_at`), so a connected
    system learns about the erasure and can erase its own copy."""

    class ContactInput(serializers.Serializer):
        customer = OrganizationRelatedField(noun="customer", rows=_customers)
        name = serializers.CharField(max_length=200)
        email = serializers.CharField(max_length=254, allow_blank=True, default="")
        phone = serializers.CharField(max_length=40, allow_blank=True, default="")
        preferred_language = serializers.CharField(max_length=10, allow_blank=True, default="en")
        consent = serializers.ChoiceField(choices=Contact.Consent.choices, default=Contact.Consent.UNKNOWN)

    model = Contact
    serializer_class = ContactOutput
    filterset_class = ContactFilter

    def organization_queryset(self, organization):
        return Contact.objects.filter(organization=organization).order_by("name", "pk")

    @extend_schema(request=ContactInput, responses={201: ContactOutput})
    def post(self, request, org_slug):
        data = self.ContactInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        with service_errors():
            contact = contact_create(organization=request.organization, actor=request.user, **data.validated_data)
        return Response(ContactOutput(contact).data, status=status.HTTP_201_CREATED)


class ContactDetail(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    class ContactUpdateInput(serializers.Serializer):
        """A contact's customer is fixed once it is created (the directory has no move between customers)."""

        name = serializers.CharField(max_length=200)
        email = serializers.CharField(max_length=254, allow_blank=True)
        phone = serializers.CharField(max_length=40, allow_blank=True)
        preferred_language = serializers.CharField(max_length=10, allow_blank=True)
        consent = serializers.ChoiceField(choices=Contact.Consent.choices)

    model = Contact
    serializer_class = ContactOutput

    def organization_queryset(self, organization):
        return Contact.objects.filter(organization=organization)

    @extend_schema(request=ContactUpdateInput, responses={200: ContactOutput})
    def patch(self, request, org_slug, pk):
        contact = self.get_object()
        if contact.erased_at is not None:
            raise serializers.ValidationError("This contact's personal data was erased; it cannot be changed.")
        data = self.ContactUpdateInput(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        current = {
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "preferred_language": contact.preferred_language,
            "consent": contact.consent,
        }
        with service_errors():
            contact = contact_update(contact=contact, actor=request.user, **{**current, **data.validated_data})
        return Response(ContactOutput(contact).data)


# --- feedback -----------------------------------------------------------------------------------------------


class FeedbackOutput(serializers.ModelSerializer):
    themes = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = FeedbackItem
        fields = [
            "id",
            "reference",
            "channel",
            "kind",
            "status",
            "customer",
            "contact",
            "submitter_name",
            "submitter_email",
            "product",
            "received_on",
            "text",
            "assignee",
            "themes",
            "sentiment",
            "closing_note",
            "closed_at",
            "converted_to",
            "created_at",
            "updated_at",
        ]


class FeedbackFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FeedbackItem.Status.choices)
    kind = django_filters.ChoiceFilter(choices=FeedbackItem.Kind.choices)
    channel = django_filters.ChoiceFilter(choices=FeedbackItem.Channel.choices)
    customer = id_filter("customer_id")
    assignee = id_filter("assignee_id")
    received_from = django_filters.DateFilter(field_name="received_on", lookup_expr="gte")
    received_to = django_filters.DateFilter(field_name="received_on", lookup_expr="lte")
    theme = id_filter("themes", label="Theme id", distinct=True)

    class Meta:
        model = FeedbackItem
        fields = []


class FeedbackList(OrganizationQuerysetMixin, generics.ListAPIView):
    """The feedback inbox, newest first. Staff and above record feedback; its channel defaults to `api`."""

    class FeedbackInput(serializers.Serializer):
        channel = serializers.ChoiceField(choices=FeedbackItem.Channel.choices, default=FeedbackItem.Channel.API)
        kind = serializers.ChoiceField(choices=FeedbackItem.Kind.choices)
        text = serializers.CharField()
        customer = OrganizationRelatedField(noun="customer", rows=_customers, allow_null=True, default=None)
        contact = OrganizationRelatedField(noun="contact", rows=_live_contacts, allow_null=True, default=None)
        submitter_name = serializers.CharField(max_length=200, allow_blank=True, default="")
        submitter_email = serializers.EmailField(max_length=254, allow_blank=True, default="")
        product = serializers.CharField(max_length=200, allow_blank=True, default="")
        received_on = serializers.DateField(allow_null=True, default=None)

    model = FeedbackItem
    serializer_class = FeedbackOutput
    filterset_class = FeedbackFilter

    def organization_queryset(self, organization):
        return feedback_items(organization=organization)

    @extend_schema(request=FeedbackInput, responses={201: FeedbackOutput})
    def post(self, request, org_slug):
        data = self.FeedbackInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        with service_errors():
            item = feedback_create(organization=request.organization, actor=request.user, **data.validated_data)
        return Response(FeedbackOutput(item).data, status=status.HTTP_201_CREATED)


class FeedbackDetail(OrganizationQuerysetMixin, generics.RetrieveAPIView):
    class FeedbackUpdateInput(serializers.Serializer):
        kind = serializers.ChoiceField(choices=FeedbackItem.Kind.choices)
        product = serializers.CharField(max_length=200, allow_blank=True)
        text = serializers.CharField()
        sentiment = serializers.ChoiceField(choices=FeedbackItem.Sentiment.choices, allow_blank=True)
        customer = OrganizationRelatedField(noun="customer", rows=_customers, allow_null=True)
        contact = OrganizationRelatedField(noun="contact", rows=_live_contacts, allow_null=True)

    model = FeedbackItem
    serializer_class = FeedbackOutput

    def organization_queryset(self, organization):
        return feedback_items(organization=organization)

    @extend_schema(request=FeedbackUpdateInput, responses={200: FeedbackOutput})
    def patch(self, request, org_slug, pk):
        """Correct what was recorded. Managers change any item; staff only the items assigned to them."""
        item = self.get_object()
        if not can_triage(api_membership(request), item):
            raise PermissionDenied("Only a manager or the person this item is assigned to can change it.")
        data = self.FeedbackUpdateInput(data=request.data, partial=True, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        sentiment = fields.pop("sentiment", None)
        with service_errors():
            if fields:
                item = feedback_update(feedback=item, actor=request.user, **fields)
            if sentiment is not None:
                item = feedback_set_sentiment(feedback=item, actor=request.user, sentiment=sentiment)
        return Response(FeedbackOutput(self.get_object()).data)


urlpatterns = [
    path("customers/", CustomerList.as_view(), name="api_customers"),
    path("customers/<int:pk>/", CustomerDetail.as_view(), name="api_customer"),
    path("contacts/", ContactList.as_view(), name="api_contacts"),
    path("contacts/<int:pk>/", ContactDetail.as_view(), name="api_contact"),
    path("feedback/", FeedbackList.as_view(), name="api_feedback_list"),
    path("feedback/<int:pk>/", FeedbackDetail.as_view(), name="api_feedback"),
]
