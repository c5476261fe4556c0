"""factory-boy factories for the notification service's rows (qms/notifications)."""

import factory

from qms.notifications.models import Notification, NotificationPreference, NotificationRule

from . import MembershipFactory, OrganizationFactory, TenantFactory, UserFactory


class NotificationFactory(TenantFactory):
    class Meta:
        model = Notification

    organization = factory.SubFactory(OrganizationFactory)
    recipient = factory.SubFactory(UserFactory)
    kind = "feedback.received"
    title = factory.Sequence(lambda n: f"New feedback F-2026-{n:04d}: Complaint, by Phone")
    url = factory.LazyAttribute(lambda o: f"/o/{o.organization.slug}/feedback/")
    email = Notification.Email.IMMEDIATE


class NotificationRuleFactory(TenantFactory):
    class Meta:
        model = NotificationRule

    organization = factory.SubFactory(OrganizationFactory)
    kind = "feedback.received"
    conditions = factory.LazyFunction(dict)
    target = NotificationRule.Target.MANAGERS
    created_by = factory.SubFactory(UserFactory)


class NotificationPreferenceFactory(TenantFactory):
    class Meta:
        model = NotificationPreference

    membership = factory.SubFactory(MembershipFactory)
    organization = factory.SelfAttribute("membership.organization")
