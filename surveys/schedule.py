"""When a campaign's waves go: once, or recurring (monthly, quarterly, half-yearly, yearly, or every N days) on a
chosen day at a chosen hour, in the organisation's time zone, correct across daylight-saving changes.

A wave's moment is a wall-clock time where the organisation is: "the 1st of every quarter at 09:00 in Berlin" stays
09:00 in Berlin in winter and in summer (its UTC moment moves by an hour). Two wall-clock times need a rule:
- a time the clock skips (02:30 on the night clocks go forward) becomes the same time after the jump (03:30);
- a time the clock shows twice (02:30 on the night clocks go back) is its first occurrence (summer time).
A monthly wave on a day some months lack (the 31st) goes on those months' last day; the next month is the 31st again.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class Every(enum.StrEnum):
    ONCE = "once"
    MONTH = "monthly"
    QUARTER = "quarterly"
    HALF_YEAR = "half_yearly"
    YEAR = "yearly"
    DAYS = "days"


MONTHS = {Every.MONTH: 1, Every.QUARTER: 3, Every.HALF_YEAR: 6, Every.YEAR: 12}


def local_moment(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The aware moment of a wall-clock time in `zone`: a skipped time moves past the jump, a doubled one is the
    first."""
    wall = datetime.combine(day, at, tzinfo=zone)  # fold=0: the first of a doubled time
    # In a gap, fold=0 reads the time with the offset before the jump, which lands the same distance past it.
    return wall.astimezone(UTC).astimezone(zone)


def _add_months(anchor: date, months: int) -> date:
    year, month = divmod(anchor.month - 1 + months, 12)
    year += anchor.year
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(anchor.day, last))


@dataclass(frozen=True)
class Recurrence:
    """A campaign's schedule: its first wave's day (`start`), the local time of every wave, and how often."""

    every: Every
    start: date
    at: time
    days: int = 0  # for Every.DAYS: the spacing

    def __post_init__(self) -> None:
        if self.every == Every.DAYS and not 1 <= self.days <= 366:
            raise ValueError("A wave every N days needs N from 1 to 366.")

    def days_of_waves(self) -> Iterator[date]:
        """Every wave's local day, from the first on (endless unless it goes once)."""
        if self.every == Every.ONCE:
            yield self.start
            return
        n = 0
        while True:
            if self.every == Every.DAYS:
                yield self.start + timedelta(days=self.days * n)
            else:
                yield _add_months(self.start, MONTHS[self.every] * n)  # from the anchor: the 31st stays the 31st
            n += 1

    def waves(self, *, zone: ZoneInfo, after: datetime, count: int) -> list[datetime]:
        """The next `count` waves strictly after `after`, as moments in `zone`."""
        found: list[datetime] = []
        for day in self.days_of_waves():
            moment = local_moment(day, self.at, zone)
            if moment > after:
                found.append(moment)
                if len(found) == count:
                    break
        return found

    def next_wave(self, *, zone: ZoneInfo, after: datetime) -> datetime | None:
        """The first wave after `after`, or None when there is none (a single wave already gone)."""
        upcoming = self.waves(zone=zone, after=after, count=1)
        return upcoming[0] if upcoming else None
