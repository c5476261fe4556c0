from functools import cache

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from qms.tenancy.access import get_object_for_member
from qms.tenancy.models import Membership, Organization
from qms.tenancy.public_links import token_hash
from qms.tenancy.sql import Columns, fetch_one

from .models import ApiToken, Invitation, User

_TOKEN, _MEMBERSHIP, _USER = Columns(ApiToken, "t"), Columns(Membership, "m"), Columns(User, "u")


@cache
def _token_by_hash(vendor: str) -> str:
    return (
        f"SELECT {_TOKEN.sql()}, {_MEMBERSHIP.sql()}, {_USER.sql()} FROM {_TOKEN.table()} "  # noqa: S608 - model names, values as parameters
        f"JOIN {_MEMBERSHIP.table()} ON {_MEMBERSHIP.column('id')} = {_TOKEN.column('membership')} "
        f"JOIN {_USER.table()} ON {_USER.column('id')} = {_MEMBERSHIP.column('user')} "
        f"WHERE {_TOKEN.column('organization')} = %s AND {_TOKEN.column('token_hash')} = %s "
        f"AND {_TOKEN.column('revoked_at')} IS NULL"
    )


def api_token_for_key(*, organization: Organization, key: str) -> ApiToken | None:
    """The live token of this key in this organisation, with its membership and user; None if the token is
    unknown, revoked or another organisation's, or its member has left, expired or been deactivated.

    Every API request makes this lookup, so it is hand-written SQL (qms.tenancy.sql): the ORM's
    `ApiToken.objects.filter(organization=…, token_hash=…, revoked_at__isnull=True)
    .select_related("membership__user")`, at a third of the cost.
    """
    found = fetch_one(_token_by_hash(connection.vendor), [organization.pk, token_hash(key)], _TOKEN, _MEMBERSHIP, _USER)
    if found is None:
        return None
    token: ApiToken
    membership: Membership
    user: User
    token, membership, user = found
    Membership.user.field.set_cached_value(membership, user)
    ApiToken.membership.field.set_cached_value(token, membership)
    if not membership.is_active or not user.is_active:
        return None
    return token


def api_tokens_for_organization(*, organization: Organization) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(organization=organization).select_related("membership__user", "created_by")


def access_api_token(*, organization: Organization, token_id: int) -> ApiToken:
    return get_object_for_member(ApiToken.objects.all(), organization=organization, pk=token_id)


def invitations_pending(*, organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organization=organization, accepted_at__isnull=True, revoked_at__isnull=True, valid_until__gt=timezone.now()
    ).select_related("invited_by")


def access_invitation(*, organization: Organization, invitation_id: int) -> Invitation:
    return get_object_for_member(Invitation.objects.all(), organization=organization, pk=invitation_id)


def invitation_for_token(*, organization: Organization, token: str) -> Invitation | None:
    return Invitation.objects.filter(organization=organization, token_hash=token_hash(token)).first()
