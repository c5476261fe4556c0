"""What the notification tests share: reading a tenant's notifications and outbox rows, and a rule or a setting."""

import pytest

from qms.notifications.models import Notification
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Membership
from tests.factories.notifications import NotificationPreferenceFactory, NotificationRuleFactory


def notifications_of(tenant, user=None) -> list[Notification]:
    with tenant.context():
        found = Notification.objects.filter(organization=tenant.organization)
        if user is not None:
            found = found.filter(recipient=user)
        return list(found.order_by("pk"))


def recipients_of(tenant, kind=None) -> list[str]:
    with tenant.context():
        found = Notification.objects.filter(organization=tenant.organization)
        if kind:
            found = found.filter(kind=kind)
        return sorted(found.values_list("recipient__email", flat=True))


def notification_mail(tenant, purpose="notification") -> list[OutboxMessage]:
    with tenant.context():
        return list(
            OutboxMessage.objects.filter(organization=tenant.organization, purpose=purpose).order_by("to_email", "pk")
        )


@pytest.fixture
def rule(alpha):
    def make(*, conditions=None, member=None, kind="feedback.received", active=True):
        target = "member" if member is not None else "managers"
        return NotificationRuleFactory(
            organization=alpha.organization,
            kind=kind,
            conditions=conditions or {},
            target=target,
            member=member,
            active=active,
            created_by=alpha.owner,
        )

    return make


@pytest.fixture
def prefer(alpha):
    def make(user, *, delivery="immediate", muted=()):
        with alpha.context():
            membership = Membership.objects.get(organization=alpha.organization, user=user)
        return NotificationPreferenceFactory(membership=membership, delivery=delivery, muted_kinds=list(muted))

    return make
