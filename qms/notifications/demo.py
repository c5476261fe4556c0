"""Demo data for seed_demo: a few notification rules and settings. It runs before the modules' own seeders (this
app comes first in INSTALLED_APPS), so the demo feedback that follows notifies the demo people through these rules,
as real feedback would: in the app, by email at once for the manager, in tomorrow's digest for the others."""

from qms.modules import notification_kind
from qms.tenancy.models import Membership, Organization, Role

from .models import Delivery, NotificationRule
from .services import preference_update, rule_create


def seed_notifications(*, organization: Organization, password: str | None = None) -> None:
    members = {m.role: m for m in Membership.objects.active().filter(organization=organization).select_related("user")}
    owner, manager, staff = members[Role.OWNER], members[Role.MANAGER], members[Role.STAFF]
    if notification_kind("feedback.received") is not None:
        for conditions, target, member in (
            ({"kind": "complaint"}, NotificationRule.Target.MANAGERS, None),
            ({"kind": "concern"}, NotificationRule.Target.MEMBER, manager.user),
            ({"channel": "web_form"}, NotificationRule.Target.MEMBER, staff.user),
        ):
            rule_create(
                organization=organization,
                actor=owner.user,
                kind="feedback.received",
                conditions=conditions,
                target=target,
                member=member,
            )
    for membership in (owner, staff):
        preference_update(membership=membership, actor=membership.user, delivery=Delivery.DIGEST, muted_kinds=())
