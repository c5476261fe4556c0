"""The API's shared list path (qms.tenancy.api): a list whose serializer only copies model columns is built from
values_list() rows and gives exactly what the serializer gives from instances; pagination counts only when a
page is full; the filter backend skips a FilterSet no query parameter reaches."""

import json
from datetime import timedelta

import django_filters
import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from rest_framework import serializers
from rest_framework.mixins import ListModelMixin
from rest_framework.renderers import JSONRenderer

from customers.models import Customer
from qms.tenancy.api import (
    FilterBackend,
    OrganizationQuerysetMixin,
    _CountOnDemandPaginator,
    _inert_when_empty,
    list_rows_plan,
)
from qms.tenancy.api_views import MemberOutput
from qms.tenancy.filters import MemberFilter
from qms.tenancy.models import Membership, Organization, Role
from qms.urls import api_patterns
from tests.factories import ContactFactory, CustomerFactory, MembershipFactory


def _list_views(patterns=api_patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _list_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and "<" not in str(entry.pattern):
            cls = getattr(entry.callback, "cls", None)
            if cls and issubclass(cls, OrganizationQuerysetMixin) and issubclass(cls, ListModelMixin):
                yield prefix + str(entry.pattern), cls


def _built_from_rows(tenant, cls):
    view = cls()
    with tenant.context():
        return view._list_rows_plan(view.organization_queryset(tenant.organization)) is not None


def _as_the_serializer_gives_it(tenant, cls):
    with tenant.context():
        rows = list(cls().organization_queryset(tenant.organization)[:50])
        data = cls.serializer_class(rows, many=True, context={"request": None}).data
    return json.loads(JSONRenderer().render(data))


@pytest.fixture
def directory(alpha):
    """Rows with and without their optional columns: an expiring auditor, an account owner, a contact's consent."""
    MembershipFactory(organization=alpha.organization, role=Role.AUDITOR, expires_at=timezone.now() + timedelta(1))
    CustomerFactory(organization=alpha.organization, account_owner=alpha.manager, notes="Key account")
    customer = CustomerFactory(organization=alpha.organization, archived_at=timezone.now())
    ContactFactory(customer=customer, consent_changed_at=timezone.now() - timedelta(days=3))
    ContactFactory(customer=customer)


@pytest.mark.parametrize("zone", [None, "Asia/Tokyo"])
def test_every_list_built_from_rows_gives_what_its_serializer_gives(alpha, api, directory, zone):
    client = api(alpha, "owner")
    if zone:  # a request tells times in its organisation's time zone (qms.tenancy.locale)
        Organization.objects.filter(pk=alpha.organization.pk).update(time_zone=zone)
    planned, serialized = set(), set()
    for path, cls in _list_views():
        if not _built_from_rows(alpha, cls):
            serialized.add(cls.__name__)
            continue
        planned.add(cls.__name__)
        with timezone.override(zone or timezone.get_default_timezone()):
            expected = _as_the_serializer_gives_it(alpha, cls)
            response = client.get(path)
        assert response.status_code == 200, (path, response.content)
        assert response.json()["results"] == expected, path
        assert expected, f"{path} lists nothing: the comparison would prove nothing"
    assert "MemberList" in planned
    assert "AuditEventList" in serialized  # its own paginate_queryset unseals instances


class _Method(serializers.ModelSerializer):
    member = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "member"]

    def get_member(self, membership):
        return str(membership)


class _Nested(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["id", "user"]
        depth = 1


class _OwnRepresentation(serializers.ModelSerializer):
    class Meta:
        model = Membership
        fields = ["id", "role"]

    def to_representation(self, instance):
        return {"id": instance.pk}


class _ThroughANullableRelation(serializers.ModelSerializer):
    owner_email = serializers.EmailField(source="account_owner.email")

    class Meta:
        model = Customer
        fields = ["id", "owner_email"]


class _Property(serializers.ModelSerializer):
    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = Membership
        fields = ["id", "active"]


class _File(serializers.ModelSerializer):
    class Meta:
        model = Organization
        fields = ["id", "logo"]


@pytest.mark.parametrize(
    "serializer", [_Method, _Nested, _OwnRepresentation, _ThroughANullableRelation, _Property, _File]
)
def test_a_serializer_that_does_more_than_copy_columns_gets_no_plan(serializer):
    assert list_rows_plan(serializer) is None


def test_the_members_plan_reads_its_columns_through_the_selected_user():
    plan = list_rows_plan(MemberOutput)
    assert plan.columns == ("id", "user__email", "user__full_name", "role", "expires_at", "created_at")
    assert plan.joins_selected({"user": {}}) and plan.joins_selected(True)
    assert not plan.joins_selected({}), "without select_related the serializer's rows could differ"


def test_a_list_without_the_join_selected_goes_through_the_serializer(alpha, api, monkeypatch):
    from qms.tenancy import api_views

    def unselected(*, organization):
        return Membership.objects.filter(organization=organization, removed_at__isnull=True).order_by("user__email")

    monkeypatch.setattr(api_views, "members_for_organization", unselected)
    results = api(alpha, "owner").get("members/").json()["results"]
    assert results == _as_the_serializer_gives_it(alpha, api_views.MemberList)


NUMBERS = [1, 2, 3, 4, "1", "2", "3", 2.0, 1.5, 0, -1, "0", "x", None, 10**20]


@pytest.mark.parametrize("size", [0, 1, 9, 10, 11, 19, 20, 21, 35])
@pytest.mark.parametrize("allow_empty_first_page", [True, False])
def test_the_paginator_pages_as_django_s_does(size, allow_empty_first_page):
    rows = list(range(size))
    for number in NUMBERS:
        ours = _CountOnDemandPaginator(rows, 10, allow_empty_first_page=allow_empty_first_page)
        django = Paginator(rows, 10, allow_empty_first_page=allow_empty_first_page)
        try:
            expected = django.page(number)
        except (EmptyPage, PageNotAnInteger) as exc:
            with pytest.raises(type(exc)):
                ours.page(number)
            continue
        page = ours.page(number)
        assert list(page) == list(expected), number
        assert (page.number, page.has_next(), page.has_previous()) == (
            expected.number,
            expected.has_next(),
            expected.has_previous(),
        )
        assert (ours.count, ours.num_pages) == (django.count, django.num_pages), number


def test_a_short_page_is_counted_without_asking_its_list():
    class Uncountable(list):
        def count(self):
            raise AssertionError("counted")

    paginator = _CountOnDemandPaginator(Uncountable(range(25)), 10)
    assert list(paginator.page(3)) == list(range(20, 25))
    assert (paginator.count, paginator.num_pages) == (25, 3)


def test_pages_past_the_end_and_bad_numbers_are_404s(alpha, api):
    client = api(alpha, "owner")
    assert client.get("members/", {"page": "last"}).json()["count"] == 4
    for page in ("2", "0", "abc", "-1", "99999999999999999999", str(2**63 // 50 + 1)):
        response = client.get("members/", {"page": page})
        assert response.status_code == 404, page
        assert "Invalid page" in response.json()["detail"]


def test_a_filter_still_filters_and_refuses_a_bad_value(alpha, api):
    client = api(alpha, "owner")
    assert [row["email"] for row in client.get("members/", {"role": "auditor"}).json()["results"]] == [
        "auditor@alpha.test"
    ]
    response = client.get("members/", {"role": "emperor"})
    assert response.status_code == 400 and "role" in response.json()
    assert client.get("members/", {"page": "1", "unknown": "x"}).json()["count"] == 4


class _Required(django_filters.FilterSet):
    role = django_filters.CharFilter(required=True)

    class Meta:
        model = Membership
        fields = []


class _OwnQueryset(django_filters.FilterSet):
    role = django_filters.CharFilter()

    class Meta:
        model = Membership
        fields = []

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset).filter(role=Role.OWNER)


class _DefaultingFilter(django_filters.CharFilter):
    def filter(self, qs, value):
        return qs.filter(role=value or Role.OWNER)


class _OwnFilter(django_filters.FilterSet):
    role = _DefaultingFilter()

    class Meta:
        model = Membership
        fields = []


def test_the_filter_backend_skips_only_a_filterset_that_does_nothing_without_parameters():
    assert FilterBackend.__mro__[1].__name__ == "DjangoFilterBackend"
    assert _inert_when_empty(MemberFilter) == ("q", "role")
    assert _inert_when_empty(_Required) is None
    assert _inert_when_empty(_OwnQueryset) is None
    assert _inert_when_empty(_OwnFilter) is None
