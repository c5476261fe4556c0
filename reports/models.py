from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qms.tenancy.models import Membership, TenantOwned


class DashboardVisit(TenantOwned):
    """When a member last opened the dashboard, and the visit before, for "new since my last visit".

    Not a record of the quality system: it is written without an audit event (a trail entry per page view would
    bury the events that matter), and it belongs to the membership, so a person's visits in one organisation say
    nothing in another.
    """

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="+", verbose_name=_("membership")
    )
    seen_at = models.DateTimeField(_("seen at"), default=timezone.now)
    # the baseline of "new since my last visit": the visit before the current one (None on a first visit)
    previous_seen_at = models.DateTimeField(_("previous seen at"), null=True, blank=True)

    class Meta:
        verbose_name = _("dashboard visit")
        verbose_name_plural = _("dashboard visits")
        constraints = [
            models.UniqueConstraint(fields=["organization", "membership"], name="dashboard_visit_one_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.membership} at {self.seen_at:%Y-%m-%d %H:%M}"
