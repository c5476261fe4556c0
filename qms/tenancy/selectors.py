from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet

from qms.accounts.models import User

from .context import cross_tenant
from .models import Membership, Organization


def membership_for_user(*, organization: Organization, user: User | AnonymousUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.active().filter(organization=organization, user=user).select_related("user").first()


def memberships_for_user(*, user: User | AnonymousUser) -> list[Membership]:
    """A person's own active memberships across organisations (the organisation switcher).

    This is one of the few cross-tenant reads: it returns only the signed-in person's own rows.
    """
    if not user.is_authenticated:
        return []
    with cross_tenant():
        return list(
            Membership.objects.active().filter(user=user).select_related("organization").order_by("organization__name")
        )


def members_for_organization(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization, removed_at__isnull=True)
        .select_related("user")
        .order_by("user__email")
    )


def organization_for_token(*, model: type[Model], token_hash: str) -> Organization | None:
    """Which organisation a public link's token belongs to, found from the token's hash alone.

    A cross-tenant read of one column by a unique hash; the caller then works inside that organisation.
    """
    with cross_tenant():
        organization_id = (
            model._default_manager.filter(token_hash=token_hash).values_list("organization_id", flat=True).first()
        )
    return Organization.objects.filter(pk=organization_id).first() if organization_id else None
