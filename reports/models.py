from django.db import models
from django.utils import timezone

from qms.tenancy.models import Membership, TenantOwned


class DashboardVisit(TenantOwned):
    """When a member last opened the dashboard, and the visit before, for "new since my last visit".

    Not a record of the quality system: it is written without an audit event (a trail entry per page view would
    bury the events that matter), and it belongs to the membership, so a person's visits in one organisation say
    nothing in another.
    """

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)
    # the baseline of "new since my last visit": the visit before the current one (None on a first visit)
    previous_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "membership"], name="dashboard_visit_one_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.membership} at {self.seen_at:%Y-%m-%d %H:%M}"
