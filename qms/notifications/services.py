"""Writes of the notification service.

`notify` is what a module calls, in its own transaction, when something happened that people should hear of: it
writes the in-app notifications and, for the people who want it at once, an outbox email. Rules and settings are
written through the audited write. A notification's own rows (written, read) are messages to one person, like the
outbox's: not records of the quality system, so they carry no audit event; the record they are about has its own.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from qms.accounts.models import User
from qms.audit.services import object_type_of
from qms.audit.writes import audited_create, audited_soft_delete, audited_update
from qms.modules import notification_kind
from qms.tenancy.models import Membership, Organization

from .emails import send_notification
from .models import Delivery, Notification, NotificationPreference, NotificationRule
from .routing import recipient_memberships, routed_user_ids
from .selectors import preference_for


def notify(
    *,
    organization: Organization,
    kind: str,
    record: Model | None,
    title: str,
    url: str = "",
    facts: Mapping[str, Any] | None = None,
    recipients: Iterable[User] | None = None,
    actor: User | None = None,
) -> list[Notification]:
    """Tell people of `record`: `recipients` when given (an assignee), otherwise whom the organisation's rules for
    `kind` route its `facts` to. Never the actor, never an auditor or a member whose access ended, each person
    once, and nobody who turned the kind off. Runs in the caller's transaction."""
    if notification_kind(kind) is None:
        raise ValueError(f"No module declares the notification kind {kind!r}")
    user_ids = (
        {user.pk for user in recipients}
        if recipients is not None
        else routed_user_ids(organization=organization, kind=kind, facts=facts or {})
    )
    members = recipient_memberships(organization=organization, user_ids=user_ids, actor=actor)
    if not members:
        return []
    preferences = {
        p.membership_id: p
        for p in NotificationPreference.objects.filter(organization=organization, membership__in=members)
    }
    object_type, object_id = (object_type_of(record), str(record.pk)) if record is not None else ("", "")
    now = timezone.now()
    written = []
    with transaction.atomic():
        for membership in members:
            preference = preferences.get(membership.pk)
            if preference is not None and kind in preference.muted_kinds:
                continue
            digest = preference is not None and preference.delivery == Delivery.DIGEST
            notification = Notification.objects.create(
                organization=organization,
                recipient_id=membership.user_id,
                kind=kind,
                title=title[:300],
                url=url[:500],
                object_type=object_type,
                object_id=object_id,
                created_at=now,
                email=Notification.Email.DIGEST if digest else Notification.Email.IMMEDIATE,
                emailed_at=None if digest else now,
            )
            membership.organization = organization
            if not digest:
                send_notification(membership=membership, notification=notification)
            written.append(notification)
    return written


def notification_mark_read(*, notification: Notification) -> bool:
    """Mark it read, once: True when this call did."""
    changed = Notification.objects.filter(
        organization_id=notification.organization_id, pk=notification.pk, read_at__isnull=True
    ).update(read_at=timezone.now())
    return changed == 1


def notifications_mark_all_read(*, organization: Organization, user: User) -> int:
    return Notification.objects.filter(organization=organization, recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- settings ---------------------------------------------------------------------------------------------


def preference_update(
    *, membership: Membership, actor: User, delivery: str, muted_kinds: Iterable[str]
) -> NotificationPreference:
    if delivery not in Delivery.values:
        raise ValidationError({"delivery": _("Choose how you are emailed.")})
    muted = sorted(set(muted_kinds))
    unknown = [key for key in muted if notification_kind(key) is None]
    if unknown:
        raise ValidationError({"kinds": _("Choose from the kinds listed.")})
    with transaction.atomic():
        preference = preference_for(membership=membership)
        if preference.pk is None:
            preference.delivery, preference.muted_kinds = delivery, muted
            return audited_create(instance=preference, actor=actor, action="notification_preference.update")
        preference, _changes = audited_update(
            instance=preference,
            actor=actor,
            action="notification_preference.update",
            data={"delivery": delivery, "muted_kinds": muted},
        )
    return preference


# --- rules --------------------------------------------------------------------------------------------------


def _check_rule(
    *, organization: Organization, kind: str, conditions: Mapping[str, str], target: str, member: User | None
) -> dict[str, str]:
    declared = notification_kind(kind)
    if declared is None or not declared.routed:
        raise ValidationError({"kind": _("Choose a kind of notification from the list.")})
    facts = {fact.name: fact for fact in declared.facts}
    kept = {}
    for name, value in conditions.items():
        if not value:
            continue
        if name not in facts or value not in dict(facts[name].choices_for(organization)):
            raise ValidationError({f"fact_{name}": _("Choose a value from the list.")})
        kept[name] = value
    if target not in NotificationRule.Target.values:
        raise ValidationError({"target": _("Choose who is told.")})
    if target == NotificationRule.Target.MEMBER:
        if member is None:
            raise ValidationError({"member": _("Choose the member who is told.")})
        if not recipient_memberships(organization=organization, user_ids=[member.pk], actor=None):
            raise ValidationError({"member": _("Only a current member who is not an auditor can be told.")})
    return kept


def rule_create(
    *,
    organization: Organization,
    actor: User,
    kind: str,
    conditions: Mapping[str, str],
    target: str,
    member: User | None = None,
) -> NotificationRule:
    kept = _check_rule(organization=organization, kind=kind, conditions=conditions, target=target, member=member)
    rule = NotificationRule(
        organization=organization,
        kind=kind,
        conditions=kept,
        target=target,
        member=member if target == NotificationRule.Target.MEMBER else None,
        created_by=actor,
    )
    return audited_create(instance=rule, actor=actor, action="notification_rule.create")


def rule_set_active(*, rule: NotificationRule, actor: User, active: bool) -> NotificationRule:
    def prepare(locked: NotificationRule) -> dict[str, Any]:
        if locked.deleted_at is not None:
            raise ValidationError(_("This rule was deleted."))
        return {"active": active}

    rule, _changes = audited_update(instance=rule, actor=actor, action="notification_rule.update", prepare=prepare)
    return rule


def rule_delete(*, rule: NotificationRule, actor: User) -> NotificationRule:
    """Take the rule away (it stays, deleted, for the trail); deleting it again changes nothing."""
    return audited_soft_delete(instance=rule, actor=actor, action="notification_rule.delete")
