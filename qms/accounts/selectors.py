from django.db.models import QuerySet
from django.utils import timezone

from qms.tenancy.access import get_object_for_member

from .models import ApiToken, Invitation, digest


def api_token_for_key(*, organization, key: str) -> ApiToken | None:
    token = (
        ApiToken.objects.filter(organization=organization, token_hash=digest(key), revoked_at__isnull=True)
        .select_related("membership__user")
        .first()
    )
    if token is None or not token.membership.is_active or not token.membership.user.is_active:
        return None
    return token


def api_tokens_for_organization(*, organization) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(organization=organization).select_related("membership__user", "created_by")


def access_api_token(*, organization, token_id) -> ApiToken:
    return get_object_for_member(ApiToken.objects.all(), organization=organization, pk=token_id)


def invitations_pending(*, organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organization=organization, accepted_at__isnull=True, revoked_at__isnull=True, valid_until__gt=timezone.now()
    ).select_related("invited_by")


def access_invitation(*, organization, invitation_id) -> Invitation:
    return get_object_for_member(Invitation.objects.all(), organization=organization, pk=invitation_id)


def invitation_for_token(*, organization, token: str) -> Invitation | None:
    return Invitation.objects.filter(organization=organization, token_hash=digest(token)).first()
