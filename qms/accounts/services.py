from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qms.audit.services import audit_record
from qms.tenancy.locale import zone
from qms.tenancy.models import Membership, Organization, Role
from qms.tenancy.public_links import token_hash
from qms.tenancy.services import membership_add

from . import emails
from .models import ApiToken, Invitation, User, new_secret


def user_create(*, email: str, password: str | None, full_name: str = "") -> User:
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this email address already exists.")})
    return User.objects.create_user(email=email, password=password, full_name=full_name)


def user_set_preferences(*, user: User, full_name: str, language: str, time_zone: str) -> User:
    """A person's own name, language and time zone (empty: the browser's language, the organisation's time zone).
    A person's preferences are not an organisation's record: no organisation's audit trail holds them."""
    if language and language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Choose a language from the list.")})
    if time_zone and zone(time_zone) is None:
        raise ValidationError({"time_zone": _("Choose a time zone from the list.")})
    user.full_name, user.language, user.time_zone = " ".join(full_name.split()), language, time_zone
    user.save(update_fields=["full_name", "language", "time_zone"])
    return user


def invitation_create(
    *,
    organization: Organization,
    actor: User,
    email: str,
    role: str,
    membership_expires_at: datetime | None = None,
) -> Invitation:
    """Invite a person by email; the link in the email is single-use and expires after INVITATION_TTL."""
    email = email.strip().lower()
    if role == Role.AUDITOR and membership_expires_at is None:
        raise ValidationError({"membership_expires_at": _("Auditor access needs an expiry date.")})
    if membership_expires_at is not None and membership_expires_at <= timezone.now():
        raise ValidationError({"membership_expires_at": _("The expiry date must be in the future.")})
    if Membership.objects.active().filter(organization=organization, user__email__iexact=email).exists():
        raise ValidationError(
            {
                "email": _("%(email)s is already a member of %(organization)s.")
                % {"email": email, "organization": organization.name}
            }
        )
    token = new_secret()
    with transaction.atomic():
        superseded = Invitation.objects.filter(
            organization=organization, email=email, accepted_at__isnull=True, revoked_at__isnull=True
        )
        superseded.update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            organization=organization,
            email=email,
            role=role,
            membership_expires_at=membership_expires_at,
            token_hash=token_hash(token),
            invited_by=actor,
            valid_until=timezone.now() + settings.INVITATION_TTL,
        )
        audit_record(
            organization=organization,
            actor=actor,
            action="invitation.create",
            obj=invitation,
            changes={
                "email": [None, email],
                "role": [None, role],
                "membership_expires_at": [None, membership_expires_at],
            },
        )
        emails.send_invitation(invitation=invitation, token=token)
    return invitation


def invitation_revoke(*, invitation: Invitation, actor: User) -> None:
    with transaction.atomic():
        changed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if changed:
            audit_record(organization=invitation.organization, actor=actor, action="invitation.revoke", obj=invitation)


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Turn an invitation into a membership exactly once (compare-and-swap on accepted_at)."""
    if invitation.status != "pending":
        raise ValidationError(_unusable_invitation(invitation.status))
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s; sign in with that address.") % {"email": invitation.email}
        )
    with transaction.atomic():
        claimed = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, valid_until__gt=timezone.now()
        ).update(accepted_at=timezone.now(), accepted_by=user)
        if not claimed:
            raise ValidationError(_("This invitation has already been used."))
        audit_record(organization=invitation.organization, actor=user, action="invitation.accept", obj=invitation)
        return membership_add(
            organization=invitation.organization,
            actor=user,
            user=user,
            role=invitation.role,
            expires_at=invitation.membership_expires_at,
        )


def _unusable_invitation(status: str) -> str:
    if status == "accepted":
        return _("This invitation is accepted; ask for a new one.")
    if status == "revoked":
        return _("This invitation is revoked; ask for a new one.")
    return _("This invitation is expired; ask for a new one.")


def password_reset_request(*, email: str, reset_url_for: Callable[[User], str]) -> None:
    """Queue a reset email for an active account with this address; say nothing either way (no enumeration)."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None or not user.has_usable_password():
        return
    with transaction.atomic():
        emails.send_password_reset(user=user, reset_url=reset_url_for(user))


def api_token_create(
    *, organization: Organization, actor: User, membership: Membership, name: str
) -> tuple[ApiToken, str]:
    """Create a token for a member; the secret is returned once and only its hash is kept."""
    if membership.organization_id != organization.pk or not membership.is_active:
        raise ValidationError(_("Tokens can be made only for active members of this organisation."))
    key = f"cl_{new_secret()}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            organization=organization,
            membership=membership,
            name=name.strip(),
            prefix=key[:10],
            token_hash=token_hash(key),
            created_by=actor,
        )
        audit_record(
            organization=organization,
            actor=actor,
            action="api_token.create",
            obj=token,
            changes={"name": [None, token.name], "member": [None, membership.user.email]},
        )
    return token, key


def api_token_revoke(*, token: ApiToken, actor: User) -> None:
    with transaction.atomic():
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            audit_record(organization=token.organization, actor=actor, action="api_token.revoke", obj=token)


def api_tokens_revoke_for_membership(*, membership: Membership, actor: User) -> None:
    for token in ApiToken.objects.filter(
        organization_id=membership.organization_id, membership=membership, revoked_at__isnull=True
    ):
        api_token_revoke(token=token, actor=actor)
