"""One function per email of the notification service; each writes an outbox row in the caller's transaction.

Neither nudges the broker: a notification may be written on a customer's request (the public form), which never
waits on the broker; the periodic relay sends them within seconds."""

from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse

from qms.outbox.models import OutboxMessage
from qms.outbox.services import email_enqueue
from qms.tenancy.models import Membership

from .models import Notification


def _settings_url(membership: Membership) -> str:
    return settings.SITE_URL + reverse("notifications:settings", kwargs={"org_slug": membership.organization.slug})


def _absolute(url: str) -> str:
    return settings.SITE_URL + url if url.startswith("/") else url


def send_notification(*, membership: Membership, notification: Notification) -> OutboxMessage:
    """Tell one person of one notification at once: its title and a link to its record."""
    return email_enqueue(
        organization=membership.organization,
        to=membership.user.email,
        template="notification",
        context={
            "notification": notification,
            "record_url": _absolute(notification.url),
            "settings_url": _settings_url(membership),
        },
        nudge=False,
        recipient=membership.user,
    )


def send_digest(*, membership: Membership, notifications: Sequence[Notification]) -> OutboxMessage:
    """The day's digest: every notification not emailed since the person's last digest, newest first."""
    return email_enqueue(
        organization=membership.organization,
        to=membership.user.email,
        template="notification-digest",
        context={
            "entries": [(n, _absolute(n.url)) for n in notifications],
            "count": len(notifications),
            "list_url": settings.SITE_URL
            + reverse("notifications:list", kwargs={"org_slug": membership.organization.slug}),
            "settings_url": _settings_url(membership),
        },
        nudge=False,
        recipient=membership.user,
    )
