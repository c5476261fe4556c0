"""The daily digest: a person who chose it gets one email a day listing their notifications not emailed since
their last digest; a person with nothing new gets nothing.

Beat runs `notifications.digest` every NOTIFICATION_DIGEST_CHECK_SECONDS; it queues one task per organisation,
which sends, inside that organisation's context, the digests due from NOTIFICATION_DIGEST_HOUR on, in each
person's own time zone (theirs, else the organisation's: qms.tenancy.locale). The day's digest is claimed by
compare-and-swap on the person's settings (`last_digest_at` before their today), so two workers, or a task run
twice, send it once.
"""

import datetime
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from qms.permissions import WRITERS
from qms.tenancy.locale import time_zone_for
from qms.tenancy.models import Membership, Organization

from .emails import send_digest
from .models import Delivery, Notification, NotificationPreference

Email = Notification.Email


def _start_of_today(now: datetime.datetime, zone: ZoneInfo) -> datetime.datetime:
    local = timezone.localtime(now, zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def digest_due(*, now: datetime.datetime, zone: ZoneInfo) -> bool:
    return timezone.localtime(now, zone).hour >= settings.NOTIFICATION_DIGEST_HOUR


def digests_send(*, organization: Organization, now: datetime.datetime | None = None) -> int:
    """Send this organisation's digests due today (inside its context); returns how many were written."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(organization=organization, email=Email.DIGEST, emailed_at__isnull=True)
    recipients = sorted(set(waiting.values_list("recipient_id", flat=True)))
    return sum(_send_one(organization=organization, user_id=user_id, now=now) for user_id in recipients)


def _send_one(*, organization: Organization, user_id: int, now: datetime.datetime) -> int:
    with transaction.atomic():
        waiting = Notification.objects.filter(
            organization=organization, recipient_id=user_id, email=Email.DIGEST, emailed_at__isnull=True
        )
        membership = (
            Membership.objects.active(now=now)
            .filter(organization=organization, user_id=user_id, role__in=WRITERS)
            .select_related("user", "organization")
            .first()
        )
        if membership is None:  # their access ended (or they became an auditor): nobody to send it to
            waiting.update(email=Email.NONE)
            return 0
        zone = time_zone_for(user=membership.user, organization=membership.organization)
        if not digest_due(now=now, zone=zone):
            return 0  # not yet the hour where they are
        preference, _ = NotificationPreference.objects.get_or_create(
            organization=organization, membership=membership, defaults={"delivery": Delivery.DIGEST}
        )
        claimed = (
            NotificationPreference.objects.filter(pk=preference.pk)
            .filter(Q(last_digest_at__isnull=True) | Q(last_digest_at__lt=_start_of_today(now, zone)))
            .update(last_digest_at=now)
        )
        if not claimed:
            return 0  # today's digest has gone already: these wait for tomorrow's
        entries = list(waiting.order_by("-created_at", "-pk"))
        if not entries:
            return 0
        send_digest(membership=membership, notifications=entries)
        _mark_emailed(entries, now=now)
    return 1


def _mark_emailed(entries: Iterable[Notification], *, now: datetime.datetime) -> None:
    Notification.objects.filter(pk__in=[n.pk for n in entries], emailed_at__isnull=True).update(emailed_at=now)


def organizations_to_digest() -> list[int]:
    """Every organisation (the organisation table is not tenant-owned); each one's task looks for its own digests."""
    return list(Organization.objects.order_by("pk").values_list("pk", flat=True))
