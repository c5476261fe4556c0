from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from qms.accounts.models import User

from .crossings import invitation_organization, memberships_of
from .models import Membership, Organization


def membership_for_user(*, organization: Organization, user: User | AnonymousUser) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.active().filter(organization=organization, user=user).select_related("user").first()


def memberships_for_user(*, user: User | AnonymousUser) -> list[Membership]:
    """A person's own active memberships across organisations (the organisation switcher), by organisation name.

    A read across organisations, so through a crossing (qms.tenancy.crossings): which organisations and the role
    there; the organisations' names and slugs are not tenant rows. The memberships are built, not fetched.
    """
    if not user.is_authenticated:
        return []
    rows = memberships_of(user=user)
    organizations = Organization.objects.in_bulk([organization_id for _, organization_id, _ in rows])
    found = [
        Membership(pk=pk, organization=organizations[organization_id], user=user, role=role)
        for pk, organization_id, role in rows
        if organization_id in organizations
    ]
    return sorted(found, key=lambda membership: (membership.organization.name, membership.organization.pk))


def members_for_organization(*, organization: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(organization=organization, removed_at__isnull=True)
        .select_related("user")
        .order_by("user__email")
    )


def organization_for_invitation(*, token_hash: str) -> Organization | None:
    """Which organisation an invitation's token belongs to, found from the token's hash alone (a crossing: the
    organisation's id, nothing else); the caller then works inside that organisation."""
    organization_id = invitation_organization(token_hash=token_hash)
    return Organization.objects.filter(pk=organization_id).first() if organization_id else None
