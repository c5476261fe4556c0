from contextlib import contextmanager

import django_filters
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission

from qms.permissions import DENIED, declared_actions, may, method_action

from .access import can_write
from .selectors import membership_for_user


def api_membership(request):
    """The membership a DRF request acts as: the token's, or the session user's in the URL's organisation."""
    if hasattr(request, "_membership"):
        return request._membership
    organization = getattr(request, "organization", None)
    token = request.auth if hasattr(request.auth, "membership") else None
    if organization is None:
        membership = None
    elif token is not None:
        membership = token.membership if token.organization_id == organization.pk else None
    else:
        membership = membership_for_user(organization=organization, user=request.user)
    request._membership = membership
    return membership


class IsOrganizationMember(BasePermission):
    """404 for anyone who is not an active member of the URL's organisation; 403 for read-only roles writing."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        membership = api_membership(request)
        if membership is None or not membership.is_active:
            raise NotFound("No such organisation.")
        if request.method not in SAFE_METHODS and not can_write(membership):
            raise PermissionDenied("Your role is read-only in this organisation.")
        actions = declared_actions(view)
        if not actions:
            raise ImproperlyConfigured(f"{type(view).__name__} declares no actions (qms/permissions.py)")
        if not may(membership, method_action(actions, request.method)):
            raise PermissionDenied(DENIED)
        return True


class OrganizationQuerysetMixin:
    """API views list one organisation's rows: subclasses implement `organization_queryset(organization)`."""

    model = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no organisation
            return self.model.objects.none()
        return self.organization_queryset(self.request.organization)


class _IdFilter(django_filters.Filter):
    field_class = forms.IntegerField


def id_filter(field_name: str, **kwargs) -> django_filters.Filter:
    """A filter on a row id: a whole number an id can be, else a 400 saying so (never a database error)."""
    return _IdFilter(field_name=field_name, min_value=1, max_value=2**63 - 1, **kwargs)


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
