from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from qms.audit.services import audit_chain_start, audit_record, diff, snapshot

from .context import organization_context
from .models import Membership, Organization, Role


def organization_create(*, name: str, slug: str, owner) -> Organization:
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


def organization_update(*, organization: Organization, actor, name: str, logo=None, remove_logo=False) -> Organization:
    """Rename the organisation and set or remove its logo (the file is checked by the form)."""
    before = snapshot(organization, ["name"]) | {"logo": organization.logo.name or None}
    with transaction.atomic():
        organization.name = name
        if remove_logo:
            organization.logo = ""
        elif logo is not None:
            organization.logo.save(f"{organization.slug}-{logo.name}", logo, save=False)
        organization.save(update_fields=["name", "logo"])
        after = snapshot(organization, ["name"]) | {"logo": organization.logo.name or None}
        audit_record(
            organization=organization,
            actor=actor,
            action="organization.update",
            obj=organization,
            changes=diff(before, after),
        )
    return organization


def _check_expiry(role: str, expires_at) -> None:
    if role == Role.AUDITOR and expires_at is None:
        raise ValidationError({"expires_at": "Auditor access needs an expiry date."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry date must be in the future."})


def membership_add(*, organization, actor, user, role: str, expires_at=None) -> Membership:
    _check_expiry(role, expires_at)
    with transaction.atomic():
        if Membership.objects.filter(organization=organization, user=user, removed_at__isnull=True).exists():
            raise ValidationError(f"{user.email} is already a member of {organization.name}.")
        membership = Membership.objects.create(organization=organization, user=user, role=role, expires_at=expires_at)
        audit_record(
            organization=organization,
            actor=actor,
            action="membership.add",
            obj=membership,
            changes={"user": [None, user.email], "role": [None, role], "expires_at": [None, expires_at]},
        )
    return membership


def _guard_last_owner(membership: Membership) -> None:
    if membership.role != Role.OWNER:
        return
    owners = Membership.objects.active().filter(organization_id=membership.organization_id, role=Role.OWNER)
    if not owners.exclude(pk=membership.pk).exists():
        raise ValidationError("An organisation needs at least one owner: make someone else owner first.")


def membership_change_role(*, membership: Membership, actor, role: str, expires_at=None) -> Membership:
    _check_expiry(role, expires_at)
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        if role != Role.OWNER:
            _guard_last_owner(membership)
        before = snapshot(membership, ["role", "expires_at"])
        membership.role, membership.expires_at = role, expires_at
        membership.save(update_fields=["role", "expires_at"])
        audit_record(
            organization=membership.organization,
            actor=actor,
            action="membership.change_role",
            obj=membership,
            changes=diff(before, snapshot(membership, ["role", "expires_at"])),
        )
    return membership


def membership_remove(*, membership: Membership, actor) -> Membership:
    from qms.accounts.services import api_tokens_revoke_for_membership

    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        _guard_last_owner(membership)
        membership.removed_at = timezone.now()
        membership.save(update_fields=["removed_at"])
        audit_record(
            organization=membership.organization,
            actor=actor,
            action="membership.remove",
            obj=membership,
            changes={"removed_at": [None, membership.removed_at]},
        )
        api_tokens_revoke_for_membership(membership=membership, actor=actor)
    return membership
