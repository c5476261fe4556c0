"""Sweep cases for the notification pages (qms/notifications/views.py): the list, following and marking read, the
person's settings and the organisation's rules."""

from qms.notifications.models import Notification, NotificationPreference, NotificationRule
from qms.tenancy.models import Role
from tests.factories.notifications import NotificationFactory, NotificationRuleFactory
from tests.sweep.core import GET_POST, POST, Case


def populate(tenant, marker):
    organization = tenant.organization
    # The owner's own, unread: the owner's write probes (mark read, mark all read) then change something.
    notification = NotificationFactory(
        organization=organization, recipient=tenant.owner, title=f"{marker} notification", url="/"
    )
    NotificationFactory(organization=organization, recipient=tenant.staff, title=f"{marker} staff notification")
    rule = NotificationRuleFactory(
        organization=organization,
        conditions={"kind": "complaint"},
        target=NotificationRule.Target.MEMBER,
        member=tenant.staff,
        created_by=tenant.owner,
    )
    return {"notification": notification, "notification_rule": rule}


def snapshot(tenant):
    organization = tenant.organization
    return {
        "notifications": list(
            Notification.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "recipient", "read_at", "emailed_at")
        ),
        "rules": list(
            NotificationRule.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "kind", "conditions", "target", "member", "active", "deleted_at")
        ),
        "preferences": list(
            NotificationPreference.objects.filter(organization=organization)
            .order_by("pk")
            .values_list("pk", "membership", "delivery", "muted_kinds")
        ),
    }


def _notification(w):
    return {"notification_id": w.extra["notification"].pk}


def _rule(w):
    return {"rule_id": w.extra["notification_rule"].pk}


CASES = {
    "notifications:list": Case(shows=("{marker} notification",)),
    "notifications:open": Case(target=_notification, owned_by=Role.OWNER, redirects=True),
    "notifications:read": Case(methods=POST, target=_notification, owned_by=Role.OWNER),
    "notifications:read_all": Case(methods=POST),
    "notifications:settings": Case(
        methods=GET_POST, form=lambda w: {"delivery": "digest", "kinds": ["feedback.assigned"]}
    ),
    "notifications:rules": Case(
        methods=GET_POST,
        form=lambda w: {
            "kind": "feedback.received",
            "feedback-received-fact_channel": "phone",
            "feedback-received-target": "managers",
        },
        shows=("{name} Staff",),
    ),
    "notifications:rule_active": Case(methods=POST, target=_rule, form=lambda w: {"active": "0"}),
    "notifications:rule_delete": Case(methods=POST, target=_rule),
}
