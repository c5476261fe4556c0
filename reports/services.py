"""The dashboard's one write: the member's visit, the baseline of "new since my last visit"."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from qms.tenancy.models import Membership

from .models import DashboardVisit

# Visits closer together than this are one visit: reloading the dashboard, or coming back to it from an item just
# opened, keeps showing what was new when the visit began.
VISIT_GAP = timedelta(minutes=30)


def dashboard_visit_record(*, membership: Membership, now: datetime | None = None) -> datetime | None:
    """Record that the member opened the dashboard now; return when their previous visit was (None on the first)."""
    now = now or timezone.now()
    with transaction.atomic():
        visit, created = DashboardVisit.objects.select_for_update().get_or_create(
            organization_id=membership.organization_id, membership=membership, defaults={"seen_at": now}
        )
        if created:
            return None
        if now - visit.seen_at > VISIT_GAP:
            visit.previous_seen_at = visit.seen_at
        visit.seen_at = now
        visit.save(update_fields=["seen_at", "previous_seen_at"])
    return visit.previous_seen_at
