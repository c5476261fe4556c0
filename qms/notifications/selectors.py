"""Reads of notifications, rules and settings. Each takes the organisation and filters by it."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from qms.accounts.models import User
from qms.modules import NotificationKind, notification_kind, notification_kinds
from qms.tenancy.access import get_object_for_member
from qms.tenancy.models import Membership, Organization

from .models import Delivery, Notification, NotificationPreference, NotificationRule


def unread_count(*, organization: Organization, user: User) -> int:
    """The bell's figure: one COUNT on the (organisation, recipient, read_at) index."""
    return Notification.objects.filter(organization=organization, recipient=user, read_at__isnull=True).count()


def notifications_for(*, organization: Organization, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """A person's own notifications, newest first."""
    found = Notification.objects.filter(organization=organization, recipient=user)
    return found.filter(read_at__isnull=True) if unread_only else found


def access_notification(*, organization: Organization, user: User, notification_id: int) -> Notification:
    """One of the person's own notifications: anyone else's, in this organisation or another, is 404."""
    return get_object_for_member(
        Notification.objects.all(), organization=organization, pk=notification_id, recipient=user
    )


def preference_for(*, membership: Membership) -> NotificationPreference:
    """The member's settings; the defaults (emailed at once, every kind) when they never changed them."""
    found = NotificationPreference.objects.filter(organization_id=membership.organization_id, membership=membership)
    return found.first() or NotificationPreference(
        organization_id=membership.organization_id, membership=membership, delivery=Delivery.IMMEDIATE
    )


def live_rules(*, organization: Organization) -> QuerySet[NotificationRule]:
    """The rules shown on the rules page and used by routing: every rule not deleted, active or not."""
    return NotificationRule.objects.filter(organization=organization, deleted_at__isnull=True).select_related("member")


def access_rule(*, organization: Organization, rule_id: int) -> NotificationRule:
    """A rule of this organisation (deleted ones too: deleting twice is harmless), or 404."""
    return get_object_for_member(NotificationRule.objects.all(), organization=organization, pk=rule_id)


@dataclass(frozen=True)
class RuleRow:
    rule: NotificationRule
    kind_label: str
    conditions: list[tuple[str, str]]  # (fact label, value label)


@dataclass(frozen=True)
class KindRules:
    """One kind on the rules page: its rules, and whether the managers hear of it for want of an active rule."""

    kind: NotificationKind
    rows: list[RuleRow]
    by_default: bool


def rules_page(*, organization: Organization) -> list[KindRules]:
    rules = list(live_rules(organization=organization))
    pages = []
    for kind in notification_kinds():
        if not kind.routed:
            continue
        choices = {fact.name: (fact.label, dict(fact.choices_for(organization))) for fact in kind.facts}
        rows = [
            RuleRow(rule=rule, kind_label=str(kind.label), conditions=_conditions(rule, choices))
            for rule in rules
            if rule.kind == kind.key
        ]
        pages.append(KindRules(kind=kind, rows=rows, by_default=not any(r.rule.active for r in rows)))
    return pages


def _conditions(rule: NotificationRule, choices: dict) -> list[tuple[str, str]]:
    described = []
    for name, value in sorted(rule.conditions.items()):
        label, values = choices.get(name, (name, {}))
        described.append((str(label), str(values.get(value, value))))
    return described


def kind_label(key: str) -> str:
    kind = notification_kind(key)
    return str(kind.label) if kind else _("Notification")
