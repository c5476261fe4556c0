"""The dashboard's demo: every demo member has been here before, just before the last few feedback items were
recorded, so "new since my last visit" has something to show beside what is assigned to them and what is overdue."""

from datetime import timedelta

from django.utils import timezone

from qms.audit.selectors import audit_events
from qms.tenancy.models import Membership, Organization

from .models import DashboardVisit

NEW_SINCE_LAST_VISIT = 4


def seed_dashboard(*, organization: Organization, password: str | None = None) -> None:
    # The demo records its items within seconds: the last visit falls between the newest few and the rest (each
    # item's "Recorded" event follows the item and comes before the next one).
    recorded = list(
        audit_events(organization=organization)
        .filter(action="feedback.create")
        .values_list("created_at", flat=True)[: NEW_SINCE_LAST_VISIT + 1]
    )
    last_visit = recorded[-1] if len(recorded) > NEW_SINCE_LAST_VISIT else timezone.now() - timedelta(days=1)
    for membership in Membership.objects.active().filter(organization=organization):
        DashboardVisit.objects.update_or_create(
            organization=organization,
            membership=membership,
            defaults={"seen_at": last_visit, "previous_seen_at": last_visit},
        )
