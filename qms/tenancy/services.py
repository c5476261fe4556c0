from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qms.accounts.models import User
from qms.accounts.two_factor import has_two_factor
from qms.audit.services import audit_chain_start, audit_record, diff
from qms.audit.writes import audited_update

from .branding import validate_accent
from .context import organization_context
from .locale import zone
from .models import Membership, Organization, Role


def organization_create(*, name: str, slug: str, owner: User) -> Organization:
    with transaction.atomic():
        organization = Organization.objects.create(name=name, slug=slug)
        with organization_context(organization):
            audit_chain_start(organization=organization)
            audit_record(
                organization=organization,
                actor=owner,
                action="organization.create",
                obj=organization,
                changes={"name": [None, name], "slug": [None, slug]},
            )
            membership_add(organization=organization, actor=owner, user=owner, role=Role.OWNER)
    return organization


def _organization_state(organization: Organization) -> dict:
    return {
        "name": organization.name,
        "logo": organization.logo.name or None,
        "two_factor_required": organization.two_factor_required,
        "time_zone": organization.time_zone,
        "country": str(organization.country or ""),
        "language": organization.language,
        "accent_colour": organization.accent_colour,
        "sender_name": organization.sender_name,
    }


def organization_update(
    *,
    organization: Organization,
    actor: User,
    name: str,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
    two_factor_required: bool | None = None,
    time_zone: str | None = None,
    country: str | None = None,
    language: str | None = None,
    accent_colour: str | None = None,
    sender_name: str | None = None,
) -> Organization:
    """Rename the organisation, set or remove its logo (the file is checked by the form), require two-factor
    sign-in of its owners and auditors or not (only an owner who has it on may require it: nobody is locked out),
    set where it works: its time zone, country and language, and its branding: the accent colour (checked for
    contrast, qms/tenancy/branding.py) and the name its customers' emails come from (None leaves one as it is)."""
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        before = _organization_state(locked)
        locked.name = name
        if two_factor_required is not None:
            if two_factor_required and not locked.two_factor_required and not has_two_factor(actor):
                raise ValidationError(
                    {"two_factor_required": _("Turn on two-factor sign-in for yourself first (the link at the top).")}
                )
            locked.two_factor_required = two_factor_required
        if time_zone is not None:
            if zone(time_zone) is None:
                raise ValidationError({"time_zone": _("Choose a time zone from the list.")})
            locked.time_zone = time_zone
        if country is not None:
            locked.country = country
        if language is not None:
            if language not in dict(settings.LANGUAGES):
                raise ValidationError({"language": _("Choose a language from the list.")})
            locked.language = language
        if accent_colour is not None:
            accent_colour = accent_colour.strip().lower()
            if accent_colour:
                try:
                    validate_accent(accent_colour)
                except ValidationError as exc:
                    raise ValidationError({"accent_colour": exc.messages}) from exc
            locked.accent_colour = accent_colour
        if sender_name is not None:
            locked.sender_name = sender_name.strip()
        if remove_logo:
            locked.logo = ""
        elif logo is not None:
            locked.logo.save(f"{locked.slug}-{logo.name}", logo, save=False)
        changes = diff(before, _organization_state(locked))
        if changes:
            locked.save(update_fields=[*_organization_state(locked)])
            audit_record(organization=locked, actor=actor, action="organization.update", obj=locked, changes=changes)
    return locked


def _check_expiry(role: str, expires_at: datetime | None) -> None:
    if role == Role.AUDITOR and expires_at is None:
        raise ValidationError({"expires_at": _("Auditor access needs an expiry date.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry date must be in the future.")})


def membership_add(
    *, organization: Organization, actor: User, user: User, role: str, expires_at: datetime | None = None
) -> Membership:
    _check_expiry(role, expires_at)
    with transaction.atomic():
        if Membership.objects.filter(organization=organization, user=user, removed_at__isnull=True).exists():
            raise ValidationError(
                _("%(email)s is already a member of %(organization)s.")
                % {"email": user.email, "organization": organization.name}
            )
        membership = Membership.objects.create(organization=organization, user=user, role=role, expires_at=expires_at)
        audit_record(
            organization=organization,
            actor=actor,
            action="membership.add",
            obj=membership,
            changes={"user": [None, user.email], "role": [None, role], "expires_at": [None, expires_at]},
        )
    return membership


def _lock_owner_set(organization_id: int) -> None:
    """Serialise every change that could take an owner away, per organisation: the organisation's row is locked
    (before the membership's, always in that order) until the change commits. Two owners demoting each other at
    the same moment then run one after the other, and the second sees the first's change and is refused."""
    Organization.objects.select_for_update().filter(pk=organization_id).values_list("pk", flat=True).get()


def _guard_last_owner(membership: Membership) -> None:
    """Refuse to take the organisation's last owner away. Called with the owner set locked (_lock_owner_set)."""
    if membership.role != Role.OWNER:
        return
    owners = Membership.objects.active().filter(organization_id=membership.organization_id, role=Role.OWNER)
    if not owners.exclude(pk=membership.pk).exists():
        raise ValidationError(_("An organisation needs at least one owner: make someone else owner first."))


def membership_change_role(
    *, membership: Membership, actor: User, role: str, expires_at: datetime | None = None
) -> Membership:
    _check_expiry(role, expires_at)

    def prepare(locked: Membership) -> dict:
        if role != Role.OWNER:
            _guard_last_owner(locked)
        return {"role": role, "expires_at": expires_at}

    with transaction.atomic():
        _lock_owner_set(membership.organization_id)
        membership, _ = audited_update(
            instance=membership,
            actor=actor,
            action="membership.change_role",
            prepare=prepare,
            related=("organization",),
        )
    return membership


def membership_remove(*, membership: Membership, actor: User) -> Membership:
    from qms.accounts.services import api_tokens_revoke_for_membership

    def prepare(locked: Membership) -> dict:
        _guard_last_owner(locked)
        return {"removed_at": timezone.now()}

    with transaction.atomic():
        _lock_owner_set(membership.organization_id)
        membership, _ = audited_update(
            instance=membership, actor=actor, action="membership.remove", prepare=prepare, related=("organization",)
        )
        api_tokens_revoke_for_membership(membership=membership, actor=actor)
    return membership
