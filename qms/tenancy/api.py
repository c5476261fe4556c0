from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from copy import copy
from functools import lru_cache
from inspect import getattr_static
from typing import TYPE_CHECKING, Any, NoReturn

import django_filters
from django import forms
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Field, Model, QuerySet
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import fields as drf_fields
from rest_framework import pagination, serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField
from rest_framework.request import Request
from rest_framework.response import Response

from qms.accounts.two_factor import second_factor_missing
from qms.listing import PageFilterSet
from qms.permissions import DENIED, declared_actions, may, method_action

from .access import can_write
from .models import Membership, Organization
from .selectors import membership_for_user

if TYPE_CHECKING:
    # Not imported at run time: DRF's view classes read the API settings, which name this module's classes,
    # when they are defined.
    from rest_framework.generics import GenericAPIView
    from rest_framework.views import APIView

    _GenericView = GenericAPIView
else:
    _GenericView = object


def api_membership(request: Request) -> Membership | None:
    """The membership a DRF request acts as: the token's, or the session user's in the URL's organisation."""
    if hasattr(request, "_membership"):
        cached: Membership | None = request._membership
        return cached
    organization = getattr(request, "organization", None)
    auth: Any = request.auth  # an ApiToken (qms.accounts) for a bearer token, None for a session
    token = auth if hasattr(auth, "membership") else None
    if organization is None:
        membership = None
    elif token is not None:
        membership = token.membership if token.organization_id == organization.pk else None
    else:
        membership = membership_for_user(organization=organization, user=request.user)
    request._membership = membership  # type: ignore[attr-defined]  # one lookup per request
    return membership


def membership_organization(request: Request, membership: Membership) -> Organization:
    """The URL's organisation (TenantMiddleware set it on the request), which is the membership's."""
    organization: Organization = getattr(request, "organization", None) or membership.organization
    return organization


class IsOrganizationMember(BasePermission):
    """404 for anyone who is not an active member of the URL's organisation; 403 for read-only roles writing."""

    def has_permission(self, request: Request, view: "APIView") -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        membership = api_membership(request)
        if membership is None or not membership.is_active:
            raise NotFound("No such organisation.")
        if request.auth is None and second_factor_missing(
            request.user, organization=membership_organization(request, membership), role=membership.role
        ):  # a session, not a token: the organisation's rule for sign-in holds here too
            raise PermissionDenied("This organisation requires two-factor sign-in: enter your code in the browser.")
        if request.method not in SAFE_METHODS and not can_write(membership):
            raise PermissionDenied("Your role is read-only in this organisation.")
        actions = declared_actions(view)
        if not actions:
            raise ImproperlyConfigured(f"{type(view).__name__} declares no actions (qms/permissions.py)")
        if not may(membership, method_action(actions, request.method or "")):
            raise PermissionDenied(DENIED)
        return True


class OrganizationQuerysetMixin(_GenericView):
    """API views list one organisation's rows: subclasses implement `organization_queryset(organization)`.

    A list whose serializer only copies model columns (`list_rows_plan`) is built from `values_list()` rows, each
    value passed through the serializer's own field, instead of model instances and the serializer: the same
    JSON at a fraction of the cost. Any other list goes through the serializer as usual.
    """

    model: type[Model]

    def organization_queryset(self, organization: Organization) -> QuerySet[Any]:
        raise NotImplementedError

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no organisation
            return self.model._default_manager.none()
        return self.organization_queryset(self.request.organization)  # type: ignore[attr-defined]  # TenantMiddleware's

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        plan = self._list_rows_plan(queryset)
        if plan is None:
            return self._list_with_serializer(queryset)
        rows = queryset.values_list(*plan.columns)
        page = self.paginate_queryset(rows)
        data = plan.represent(page if page is not None else rows)
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _list_with_serializer(self, queryset: QuerySet[Any]) -> Response:
        """DRF's ListModelMixin.list, on the queryset already filtered."""
        page = self.paginate_queryset(queryset)
        if page is not None:
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        return Response(self.get_serializer(queryset, many=True).data)

    def _list_rows_plan(self, queryset: QuerySet[Any]) -> "ListRowsPlan | None":
        # A view of its own paginate_queryset or get_serializer may need instances (the audit trail unseals them).
        if not _from_library(type(self), ("paginate_queryset", "get_serializer"), "rest_framework") or (
            self.paginator is not None and type(self.paginator) not in ROW_PAGINATORS
        ):
            return None
        query = queryset.query  # anything that could make its rows other than one per instance, or need instances
        if query.distinct or query.combinator or query.is_sliced or query.annotations or query.extra:
            return None
        if queryset._prefetch_related_lookups:  # type: ignore[attr-defined]  # Django's own, not in the stubs
            return None
        plan = list_rows_plan(self.get_serializer_class())  # type: ignore[arg-type]  # a class is hashable
        if plan is None or queryset.model is not plan.model or not plan.joins_selected(query.select_related):
            return None
        return plan


class _IdFilter(django_filters.Filter):
    field_class = forms.IntegerField


def id_filter(field_name: str, **kwargs: Any) -> django_filters.Filter:
    """A filter on a row id: a whole number an id can be, else a 400 saying so (never a database error)."""
    return _IdFilter(field_name=field_name, min_value=1, max_value=2**63 - 1, **kwargs)


@contextmanager
def service_errors() -> Iterator[None]:
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

    def __init__(self, *, noun: str, rows: Callable[[Organization], QuerySet[Any]], **kwargs: Any) -> None:
        self.noun, self.rows = noun, rows
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        return self.rows(self.context["request"].organization)

    def fail(self, key: str, **kwargs: Any) -> NoReturn:
        super().fail(key, noun=self.noun, **kwargs)


# --- lists ---------------------------------------------------------------------------------------------------


_LARGEST_OFFSET = 2**63 - 1  # SQL's bigint: LIMIT and OFFSET beyond it are an error, not an empty page


class _CountOnDemandPaginator(Paginator):
    """Django's paginator, but a page shorter than a full one needs no COUNT: it is the last page, so the count
    is the rows before it plus its own. Only a full page (or one past the end) still counts."""

    def page(self, number: Any) -> Page:
        if "count" in self.__dict__ or self.orphans:
            return super().page(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError):
            return super().page(number)  # PageNotAnInteger
        bottom = (number - 1) * self.per_page
        if number < 1 or bottom + self.per_page > _LARGEST_OFFSET:
            return super().page(number)  # EmptyPage; or past the end, and an offset no database takes
        rows = list(self.object_list[bottom : bottom + self.per_page])
        if not rows and (number > 1 or not self.allow_empty_first_page):
            return super().page(number)  # past the end: EmptyPage, from the count
        if len(rows) < self.per_page:
            self.count = bottom + len(rows)
        self.validate_number(number)  # a full page counts here, for its next link
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]  # Paginator's hook for a Page


class PageNumberPagination(pagination.PageNumberPagination):
    """The API's pagination (settings.REST_FRAMEWORK): DRF's page numbers, counting only when a page is full."""

    django_paginator_class = _CountOnDemandPaginator


# Paginators that only slice the queryset they are given, so a list may hand them values() rows.
ROW_PAGINATORS = (PageNumberPagination, pagination.PageNumberPagination, pagination.LimitOffsetPagination)

# Serializer fields whose output depends on the value alone (no instance, no request): a values() column passed
# through `to_representation` gives what the serializer gives from the model instance.
_VALUE_FIELDS = frozenset(
    {
        drf_fields.BooleanField,
        drf_fields.CharField,
        drf_fields.EmailField,
        drf_fields.RegexField,
        drf_fields.SlugField,
        drf_fields.URLField,
        drf_fields.UUIDField,
        drf_fields.IPAddressField,
        drf_fields.IntegerField,
        drf_fields.BigIntegerField,
        drf_fields.FloatField,
        drf_fields.DecimalField,
        drf_fields.DateTimeField,
        drf_fields.DateField,
        drf_fields.TimeField,
        drf_fields.DurationField,
        drf_fields.ChoiceField,
        drf_fields.JSONField,
        drf_fields.ReadOnlyField,
    }
)


class ListRowsPlan:
    """How to build a serializer's output from `values_list()` rows: per output field, its column and the
    serializer field that represents the column's value."""

    def __init__(
        self,
        model: type[Model],
        fields: tuple[tuple[str, str, drf_fields.Field], ...],
        joins: tuple[tuple[str, ...], ...],
    ) -> None:
        self.model, self.joins = model, joins
        self.columns = tuple(dict.fromkeys(column for _, column, _ in fields))
        self.fields = tuple((name, self.columns.index(column), field) for name, column, field in fields)

    def joins_selected(self, select_related: bool | dict[str, Any]) -> bool:
        """The relations the columns go through are select_related, so the instances' rows would be the same rows
        (an inner join each), never a lazy lookup per row."""
        if select_related is True:
            return True
        for path in self.joins:
            level: Any = select_related
            for name in path:
                if not isinstance(level, dict) or name not in level:
                    return False
                level = level[name]
        return True

    def represent(self, rows: Iterable[Sequence[Any]]) -> list[dict[str, Any]]:
        """What `Serializer.to_representation` makes of each row's instance: None stays None, any other value goes
        through its field's `to_representation`."""
        fields = [(name, index, _representation(field)) for name, index, field in self.fields]
        return [
            {name: None if (value := row[index]) is None else represent(value) for name, index, represent in fields}
            for row in rows
        ]


def _representation(field: drf_fields.Field) -> Callable[[Any], Any]:
    if isinstance(field, PrimaryKeyRelatedField):  # what its get_attribute would hand it: the id, as a PKOnlyObject
        return lambda value: field.to_representation(PKOnlyObject(pk=value))
    if (
        isinstance(field, drf_fields.DateTimeField)
        and type(field) is drf_fields.DateTimeField
        and not hasattr(field, "timezone")
    ):
        # DRF looks up the current timezone for every value (a tenth of a list's time); look it up once per list
        # and hand it to a copy of the field, as DateTimeField(default_timezone=…) would hold it.
        timed = copy(field)
        timed.timezone = field.default_timezone()  # type: ignore[assignment]  # None: naive, as DRF's own
        return timed.to_representation
    return field.to_representation


def _from_library(cls: type, names: Iterable[str], library: str) -> bool:
    """Every one of these attributes of the class is the library's own, not a project's override."""
    for name in names:
        owner = next((klass for klass in cls.__mro__ if name in vars(klass)), None)
        if owner is None or owner.__module__.partition(".")[0] != library:
            return False
    return True


def _plain_serializer(serializer_class: Any) -> bool:
    return (
        isinstance(serializer_class, type)
        and issubclass(serializer_class, serializers.ModelSerializer)
        and _from_library(
            serializer_class,
            ("__init__", "to_representation", "get_fields", "fields", "_readable_fields", "data"),
            "rest_framework",
        )
    )


def _field_plan(model: type[Model], field: drf_fields.Field) -> tuple[str, tuple[str, ...]] | None:
    """(column, relations joined) of a serializer field that copies a model column, or None."""
    attrs = field.source_attrs
    if not attrs:
        return None  # source="*"
    path = []
    for attr in attrs[:-1]:  # each step a forward, non-null foreign key: always exactly one related row
        try:
            relation = model._meta.get_field(attr)
        except FieldDoesNotExist:
            return None
        if not (relation.many_to_one or relation.one_to_one) or not relation.concrete or relation.null:
            return None
        path.append(attr)
        if not isinstance(relation.related_model, type):
            return None
        model = relation.related_model
    try:
        model_field = model._meta.get_field(attrs[-1])
    except FieldDoesNotExist:
        return None  # a property or a method
    if not isinstance(model_field, Field):
        return None  # a reverse relation
    descriptor = type(getattr_static(model, model_field.attname, None))
    if not model_field.concrete or descriptor not in (DeferredAttribute, ForeignKeyDeferredAttribute):
        return None  # computed, or a descriptor that makes something else of the value (a file)
    column = "__".join([*path, attrs[-1]])
    if model_field.is_relation:
        if type(field) is not PrimaryKeyRelatedField or not (model_field.many_to_one or model_field.one_to_one):
            return None
        if field.pk_field is not None and type(field.pk_field) not in _VALUE_FIELDS:
            return None
        return column, tuple(path)
    if type(field) not in _VALUE_FIELDS:
        return None
    return column, tuple(path)


@lru_cache(maxsize=256)  # a view may build its serializer class per request
def list_rows_plan(serializer_class: type[serializers.BaseSerializer[Any]]) -> ListRowsPlan | None:
    """A plan when every readable field of a plain ModelSerializer copies a model column through a field whose
    output depends on the value alone; None otherwise (a method field, a nested serializer, many-to-many…)."""
    if not _plain_serializer(serializer_class):
        return None
    assert issubclass(serializer_class, serializers.ModelSerializer)
    model = serializer_class.Meta.model
    planned: list[tuple[str, str, drf_fields.Field]] = []
    joins: set[tuple[str, ...]] = set()
    for field in serializer_class(context={})._readable_fields:
        field_plan = _field_plan(model, field)
        if field_plan is None:
            return None
        column, path = field_plan
        planned.append((str(field.field_name), column, field))
        if path:
            joins.add(path)
    return ListRowsPlan(model, tuple(planned), tuple(joins))


class FilterBackend(DjangoFilterBackend):
    """django-filter's DRF backend (settings.REST_FRAMEWORK), skipping the FilterSet when no query parameter can
    reach it: building its form for nothing is a tenth of a list request. A FilterSet or filter that could act
    on an empty query (a required filter, its own `qs` or `filter_queryset`, a custom form) always runs."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: "APIView") -> QuerySet[Any]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        names = _inert_when_empty(filterset_class)
        if names is not None and not any(key.startswith(names) for key in request.query_params):
            return queryset
        return super().filter_queryset(request, queryset, view)


@lru_cache(maxsize=256)  # django-filter builds a class per request from `filterset_fields`
def _inert_when_empty(filterset_class: type[django_filters.FilterSet]) -> tuple[str, ...] | None:
    """The parameter names a FilterSet reads (each a prefix of its form's keys), when it does nothing without
    them; None when it might."""
    library = ("__init__", "qs", "filter_queryset", "is_valid", "errors", "form")
    if not _from_library(filterset_class, library, "django_filters") or filterset_class._meta.form is not forms.Form:
        return None
    # PageFilterSet's form only adds the date pickers and the check of a date range, which needs parameters.
    if filterset_class.get_form_class is not PageFilterSet.get_form_class and not _from_library(
        filterset_class, ("get_form_class",), "django_filters"
    ):
        return None
    for filter_ in filterset_class.base_filters.values():
        if (
            filter_.extra.get("required")
            or not _from_library(type(filter_), ("filter",), "django_filters")
            or filter_.field_class.__module__.partition(".")[0] not in ("django", "django_filters")
        ):
            return None
    return tuple(filterset_class.base_filters)
