"""The dashboard: what needs this member, the organisation's key figures over the period with their trend, the
feedback received week by week, and recent activity. Every figure comes from the installed modules' selectors
(their `dashboard_cards` and `dashboard_attention`), the chart from the inbox's weekly counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from feedback.selectors.overview import feedback_received_by_week
from qms.audit.sealing import unseal_events
from qms.audit.selectors import audit_events
from qms.charts import BarChart, Point, bar_chart
from qms.dashboard import DOWN, FLAT, MINE, NEEDED, NEW, UP, Attention, DashboardCard, Period
from qms.modules import audit_action_label, dashboard_attention, dashboard_cards
from qms.permissions import may
from qms.tenancy.access import WRITERS, has_role
from qms.tenancy.models import Membership, Organization, Role

CHART_WEEKS = 12
ACTIVITY_ENTRIES = 8
# A first visit has no "last visit": it shows what was recorded over the last week.
FIRST_VISIT_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True)
class KeyFigure:
    card: DashboardCard
    trend: str  # "up 3 on the previous 30 days"; "" for a figure without a trend


@dataclass(frozen=True)
class Dashboard:
    period: Period
    figures: list[KeyFigure]
    attention: list[Attention]  # assigned to the member, then what needs someone (empty for auditors)
    new: list[Attention]  # what arrived since `since` (empty for auditors)
    since: datetime
    first_visit: bool
    chart: BarChart
    activity: list[dict[str, Any]]
    activity_is_own: bool  # staff see their own actions: the organisation's trail is the overseers'
    attention_first: bool  # staff: what is assigned to them comes before the organisation's figures

    @property
    def shows_attention(self) -> bool:
        return bool(self.attention or self.new)

    @property
    def nothing_needs_me(self) -> bool:
        return not any(a.count for a in self.attention)

    @property
    def nothing_new(self) -> bool:
        return not any(a.count for a in self.new)

    @property
    def is_empty(self) -> bool:
        """A brand-new organisation: no figure above zero and no feedback received (setting it up, such as inviting
        its members, may already show in the activity)."""
        return not any(f.card.value for f in self.figures) and not self.chart.total


def figure_trend(card: DashboardCard, period: Period) -> str:
    """The change since the previous period in words: "up 3 on the previous 30 days", "no change on …"."""
    change = card.change
    if change is None:
        return ""
    n = abs(change)
    if card.direction == FLAT:
        words = _("no change")
    elif card.unit == "%":
        words = {
            UP: ngettext("up %(n)d point", "up %(n)d points", n),
            DOWN: ngettext("down %(n)d point", "down %(n)d points", n),
        }[card.direction] % {"n": n}
    else:
        words = {UP: _("up %(n)d"), DOWN: _("down %(n)d")}[card.direction] % {"n": n}
    return _("%(change)s on the previous %(days)d days") % {"change": words, "days": period.days}


def weekly_feedback_chart(*, organization: Organization, today: date, weeks: int = CHART_WEEKS) -> BarChart:
    counts = feedback_received_by_week(organization=organization, today=today, weeks=weeks)
    points = [
        Point(
            label=formats.date_format(monday, "j M"),
            long_label=_("Week of %(day)s") % {"day": formats.date_format(monday, "j M Y")},
            value=n,
        )
        for monday, n in counts
    ]
    total = sum(n for _monday, n in counts)
    description = ngettext(
        "%(total)d item of feedback received over the last %(weeks)d weeks.",
        "%(total)d items of feedback received over the last %(weeks)d weeks.",
        total,
    ) % {"total": total, "weeks": weeks}
    if total:
        busiest, most = max(counts, key=lambda week: week[1])
        description += " " + _("The busiest was the week of %(week)s, with %(n)d.") % {
            "week": formats.date_format(busiest, "j M Y"),
            "n": most,
        }
    return bar_chart(
        chart_id="chart-feedback-weekly",
        title=_("Feedback received per week"),
        description=description,
        label_heading=_("Week"),
        value_heading=_("Feedback received"),
        points=points,
    )


def recent_activity(*, organization: Organization, membership: Membership) -> tuple[list[dict[str, Any]], bool]:
    """The organisation's latest events for those who read its trail; a member's own latest actions otherwise."""
    events = audit_events(organization=organization)
    own = not may(membership, "audit.view")
    if own:
        events = events.filter(actor_id=membership.user_id)
    latest = unseal_events(organization=organization, events=events[:ACTIVITY_ENTRIES])
    return [{"event": e, "label": audit_action_label(e.action)} for e in latest], own


def dashboard_for(
    *, organization: Organization, membership: Membership, last_visit: datetime | None, now: datetime
) -> Dashboard:
    """The dashboard of this member: staff see what is assigned to them first, owners and managers what needs
    anyone, auditors the figures and the activity only (they act on nothing)."""
    today = organization.today()
    period = Period.ending(today, zone=organization.zone())
    since = last_visit or now - FIRST_VISIT_LOOKBACK
    cards = sorted(dashboard_cards(organization=organization, membership=membership, period=period), key=_order)
    attention: list[Attention] = []
    if has_role(membership, *WRITERS):
        attention = dashboard_attention(organization=organization, membership=membership, since=since, today=today)
    activity, own = recent_activity(organization=organization, membership=membership)
    staff = has_role(membership, Role.STAFF)
    kinds = (MINE, NEEDED) if staff else (NEEDED, MINE)
    return Dashboard(
        period=period,
        figures=[KeyFigure(card, figure_trend(card, period)) for card in cards],
        attention=[a for kind in kinds for a in attention if a.kind == kind],
        new=[a for a in attention if a.kind == NEW],
        since=since,
        first_visit=last_visit is None,
        chart=weekly_feedback_chart(organization=organization, today=today),
        activity=activity,
        activity_is_own=own,
        attention_first=staff,
    )


def _order(card: DashboardCard) -> int:
    return card.order
