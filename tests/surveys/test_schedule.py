"""A campaign's schedule in the organisation's time zone: the wall-clock hour holds across daylight-saving changes,
a skipped or doubled time has one answer, and a monthly day some months lack falls on their last day."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from surveys.schedule import Every, Recurrence, local_moment

BERLIN, SYDNEY = ZoneInfo("Europe/Berlin"), ZoneInfo("Australia/Sydney")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def _local(moments):
    return [(m.date().isoformat(), m.strftime("%H:%M"), m.utcoffset()) for m in moments]


def test_every_two_weeks_at_nine_stays_nine_in_berlin_across_the_spring_change():
    rule = Recurrence(Every.DAYS, start=date(2027, 3, 14), at=time(9, 0), days=14)
    first, second = rule.waves(zone=BERLIN, after=EPOCH, count=2)
    assert _local([first, second]) == [
        ("2027-03-14", "09:00", timedelta(hours=1)),  # winter time
        ("2027-03-28", "09:00", timedelta(hours=2)),  # summer time since that night: still nine o'clock
    ]
    elapsed = second.astimezone(UTC) - first.astimezone(UTC)
    assert elapsed == timedelta(days=14) - timedelta(hours=1)  # the real interval is an hour short


def test_a_time_the_clock_skips_moves_past_the_jump_and_a_doubled_one_is_the_first():
    skipped = local_moment(date(2027, 3, 28), time(2, 30), BERLIN)  # clocks go from 02:00 to 03:00
    assert (skipped.strftime("%H:%M"), skipped.utcoffset()) == ("03:30", timedelta(hours=2))
    doubled = local_moment(date(2027, 10, 31), time(2, 30), BERLIN)  # 02:30 happens twice
    assert (doubled.strftime("%H:%M"), doubled.utcoffset()) == ("02:30", timedelta(hours=2))
    southern = local_moment(date(2027, 4, 4), time(2, 30), SYDNEY)  # the southern autumn change, the other way
    assert southern.utcoffset() == timedelta(hours=11)


def test_monthly_on_the_31st_falls_on_the_last_day_of_shorter_months_and_comes_back():
    rule = Recurrence(Every.MONTH, start=date(2027, 1, 31), at=time(8, 0))
    days = [m.date().isoformat() for m in rule.waves(zone=BERLIN, after=EPOCH, count=4)]
    assert days == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]
    leap = Recurrence(Every.YEAR, start=date(2028, 2, 29), at=time(8, 0))
    days = [m.date().isoformat() for m in leap.waves(zone=BERLIN, after=EPOCH, count=5)]
    assert days == ["2028-02-29", "2029-02-28", "2030-02-28", "2031-02-28", "2032-02-29"]


def test_quarterly_and_half_yearly_count_from_the_first_wave():
    quarter = Recurrence(Every.QUARTER, start=date(2027, 1, 15), at=time(10, 0))
    half = Recurrence(Every.HALF_YEAR, start=date(2027, 1, 15), at=time(10, 0))
    assert [m.month for m in quarter.waves(zone=BERLIN, after=EPOCH, count=5)] == [1, 4, 7, 10, 1]
    assert [m.month for m in half.waves(zone=BERLIN, after=EPOCH, count=3)] == [1, 7, 1]


def test_the_next_wave_is_after_now_and_a_single_wave_once_gone_has_none():
    rule = Recurrence(Every.MONTH, start=date(2027, 1, 1), at=time(9, 0))
    now = datetime(2027, 5, 1, 7, 59, tzinfo=UTC)  # 09:59 in Berlin: May's wave has gone
    assert rule.next_wave(zone=BERLIN, after=now) == datetime(2027, 6, 1, 9, 0, tzinfo=BERLIN)
    once = Recurrence(Every.ONCE, start=date(2027, 1, 1), at=time(9, 0))
    assert once.next_wave(zone=BERLIN, after=EPOCH) == datetime(2027, 1, 1, 9, 0, tzinfo=BERLIN)
    assert once.next_wave(zone=BERLIN, after=now) is None


@pytest.mark.parametrize("days", [0, -3, 367])
def test_every_n_days_needs_a_sensible_n(days):
    with pytest.raises(ValueError, match="from 1 to 366"):
        Recurrence(Every.DAYS, start=date(2027, 1, 1), at=time(9, 0), days=days)
