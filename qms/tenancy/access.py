"""Role checks and tenant-owned lookups live here, not in views or templates.

A lookup of another organisation's object answers 404 (`Http404`); a role that may read but not do the thing
answers 403 (`PermissionDenied`).
"""

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Membership, Organization, Role

M = TypeVar("M", bound=Model)

MANAGERS = (Role.OWNER, Role.MANAGER)
WRITERS = (Role.OWNER, Role.MANAGER, Role.STAFF)


def has_role(membership: Membership | None, *roles: str) -> bool:
    return membership is not None and membership.role in roles


def require_role(membership: Membership | None, *roles: str) -> None:
    if not has_role(membership, *roles):
        raise PermissionDenied(_("Your role in this organisation does not allow this."))


def require_owner(membership: Membership | None) -> None:
    require_role(membership, Role.OWNER)


def require_manager(membership: Membership | None) -> None:
    require_role(membership, *MANAGERS)


def can_write(membership: Membership | None) -> bool:
    return has_role(membership, *WRITERS)


def get_object_for_member(queryset: QuerySet[M], *, organization: Organization, **lookup: Any) -> M:
    """Fetch one tenant-owned object of this organisation, or 404 — never another organisation's."""
    obj = queryset.filter(organization=organization, **lookup).first()
    if obj is None:
        raise Http404(_("No such record in this organisation."))
    return obj


def access_membership(*, organization: Organization, membership_id: int) -> Membership:
    return get_object_for_member(
        Membership.objects.select_related("user").filter(removed_at__isnull=True),
        organization=organization,
        pk=membership_id,
    )
