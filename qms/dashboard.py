"""What a module gives the dashboard: key figures over a period with their trend, and what needs a member.

A module declares `dashboard_cards` (its key figures) and `dashboard_attention` (what needs this member) on its
ModuleConfig (qms/modules.py); the dashboard (reports/) asks every installed module for them and shows them.
The figures are computed in the module's selectors, in few queries, for the Period the dashboard passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The dashboard's period: the last 30 days (today included), against the 30 days before. A rolling window keeps
# the comparison fair on any day, where a calendar month compares a few days with a whole month.
PERIOD_DAYS = 30

GOOD, BAD = "good", "bad"  # what a rise of a figure is (DashboardCard.rising)
UP, DOWN, FLAT = "up", "down", "flat"


@dataclass(frozen=True)
class Period:
    """Days `start` to `end`, both included, in the time zone `zone` (the organisation's; None: the current one)."""

    start: date
    end: date
    zone: tzinfo | None = None

    @classmethod
    def ending(cls, today: date, days: int = PERIOD_DAYS, zone: tzinfo | None = None) -> Period:
        return cls(start=today - timedelta(days=days - 1), end=today, zone=zone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        return Period(start=self.start - timedelta(days=self.days), end=self.start - timedelta(days=1), zone=self.zone)

    @property
    def since(self) -> datetime:
        """The first moment of the period, for a datetime field: `field >= since` and `field < until`."""
        return timezone.make_aware(datetime.combine(self.start, time.min), self.zone)

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), self.zone)


@dataclass(frozen=True)
class DashboardCard:
    """A key figure: "Received 12", its value over the previous period (for "up 3 on the previous 30 days"), whether
    a rise is good or bad news, and a link to the list behind it.

    A figure without `previous` is shown without a trend (a count as it stands, such as the directory's size).
    `unit` "%" makes the trend read in points.
    """

    title: StrOrPromise
    value: int | str
    url: str = ""
    hint: StrOrPromise = ""
    previous: int | None = None
    rising: str = ""  # GOOD, BAD or "" (neither)
    unit: str = ""
    order: int = 100

    @property
    def change(self) -> int | None:
        if self.previous is None or not isinstance(self.value, int):
            return None
        return self.value - self.previous

    @property
    def direction(self) -> str:
        change = self.change
        if change is None:
            return ""
        return UP if change > 0 else DOWN if change < 0 else FLAT

    @property
    def tone(self) -> str:
        """good, bad or neutral: how this period's change reads."""
        if self.direction in (UP, DOWN) and self.rising in (GOOD, BAD):
            rose = self.direction == UP
            return GOOD if rose == (self.rising == GOOD) else BAD
        return "neutral"


@dataclass(frozen=True)
class AttentionItem:
    """One record that needs someone, as a line of a dashboard list."""

    label: str
    url: str
    detail: str = ""
    when: date | datetime | None = None
    overdue: bool = False


# Attention.kind: assigned to this member (staff see these first); needing someone (overdue, unassigned, waiting);
# arrived since the member's last visit.
MINE, NEEDED, NEW = "mine", "needed", "new"


@dataclass(frozen=True)
class Attention:
    """A list of what needs this member: "Assigned to me · 3", its first items and a link to all of them."""

    kind: str
    title: StrOrPromise
    count: int
    url: str = ""
    items: tuple[AttentionItem, ...] = ()
    tone: str = ""  # BAD: late (overdue)
    order: int = 100
