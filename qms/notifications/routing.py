"""Who hears of a notification: the organisation's active rules for its kind whose conditions match its facts, or,
when the kind has no active rule, the managers (owners and managers). Auditors and members whose access ended are
never anyone's recipients."""

from collections.abc import Iterable, Mapping
from typing import Any

from qms.accounts.models import User
from qms.permissions import MANAGERS, WRITERS
from qms.tenancy.models import Membership, Organization

from .models import NotificationRule


def matches(rule: NotificationRule, facts: Mapping[str, Any]) -> bool:
    """Every condition names a fact and the value it must have; a rule without conditions matches everything."""
    return all(name in facts and str(facts[name]) == str(value) for name, value in rule.conditions.items())


def routed_user_ids(*, organization: Organization, kind: str, facts: Mapping[str, Any]) -> set[int]:
    rules = list(
        NotificationRule.objects.filter(organization=organization, kind=kind, active=True, deleted_at__isnull=True)
    )
    if not rules:
        return set(_members(organization).filter(role__in=MANAGERS).values_list("user_id", flat=True))
    wanted: set[int] = set()
    everyone_managing = False
    for rule in rules:
        if not matches(rule, facts):
            continue
        if rule.target == NotificationRule.Target.MEMBER and rule.member_id is not None:
            wanted.add(rule.member_id)
        elif rule.target == NotificationRule.Target.MANAGERS:
            everyone_managing = True
    if everyone_managing:
        wanted |= set(_members(organization).filter(role__in=MANAGERS).values_list("user_id", flat=True))
    return wanted


def recipient_memberships(
    *, organization: Organization, user_ids: Iterable[int], actor: User | None
) -> list[Membership]:
    """The active, non-auditor memberships of these people, each person once, the actor left out."""
    ids = set(user_ids) - ({actor.pk} if actor is not None and actor.is_authenticated else set())
    if not ids:
        return []
    members = _members(organization).filter(user_id__in=ids).select_related("user").order_by("user_id")
    return list({m.user_id: m for m in members}.values())


def _members(organization: Organization) -> Any:
    return Membership.objects.active().filter(organization=organization, role__in=WRITERS)
