"""When a method's review falls due: one period after its last review, or after it was registered."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from feedback.models import MonitoringMethod
from feedback.selectors.methods import MONTHS, add_months, method_next_review_on, methods_due
from tests.factories import MonitoringMethodFactory

Frequency = MonitoringMethod.Frequency


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2027, 8, 31), 6, date(2028, 2, 29)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 5, 20), 12, date(2027, 5, 20)),
    ],
)
def test_adding_months_clamps_to_the_end_of_a_shorter_month(start, months, expected):
    assert add_months(start, months) == expected


def test_the_next_review_is_one_period_after_the_last(alpha):
    method = MonitoringMethodFactory(
        organization=alpha.organization, review_frequency=Frequency.QUARTERLY, last_reviewed_on=date(2026, 1, 10)
    )
    assert method_next_review_on(method) == date(2026, 4, 10)


def test_a_method_never_reviewed_counts_from_when_it_was_registered(alpha):
    registered = datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo("UTC"))  # 1 April in London
    method = MonitoringMethodFactory(
        organization=alpha.organization, review_frequency=Frequency.MONTHLY, created_at=registered
    )
    assert method_next_review_on(method) == date(2026, 5, 1)
    with alpha.context():
        assert methods_due(organization=alpha.organization, today=date(2026, 4, 30)) == []
        assert methods_due(organization=alpha.organization, today=date(2026, 5, 1)) == [method]


def test_the_database_filter_agrees_with_the_next_review_date_around_month_ends(alpha):
    """Every frequency, reviews on the last days of months: due exactly when next review <= today."""
    reviewed_days = [date(2025, m, d) for m in (1, 2, 5, 8, 11, 12) for d in (27, 28, 29, 30, 31) if _exists(m, d)]
    methods = [
        MonitoringMethodFactory(organization=alpha.organization, review_frequency=f, last_reviewed_on=day)
        for f in MONTHS
        for day in reviewed_days
    ]
    start = date(2025, 2, 20)
    with alpha.context():
        for today in (start + timedelta(days=n) for n in range(0, 420, 3)):
            expected = {m.pk for m in methods if method_next_review_on(m) <= today}
            got = {m.pk for m in methods_due(organization=alpha.organization, today=today)}
            assert got == expected, today


def _exists(month, day):
    try:
        date(2025, month, day)
    except ValueError:
        return False
    return True


def test_due_methods_come_most_overdue_first_and_leave_out_retired_ones(alpha):
    today = timezone.localdate()
    a_bit = MonitoringMethodFactory(organization=alpha.organization, name="A", last_reviewed_on=today - timedelta(100))
    very = MonitoringMethodFactory(organization=alpha.organization, name="B", last_reviewed_on=today - timedelta(300))
    MonitoringMethodFactory(organization=alpha.organization, name="C", last_reviewed_on=today)
    MonitoringMethodFactory(
        organization=alpha.organization, name="D", last_reviewed_on=today - timedelta(300), retired_at=timezone.now()
    )
    with alpha.context():
        due = methods_due(organization=alpha.organization, today=today)
    assert due == [very, a_bit]
    assert due[0].next_review_on < due[1].next_review_on


def test_due_methods_are_only_the_organisations_own(alpha, bravo):
    MonitoringMethodFactory(organization=bravo.organization, last_reviewed_on=date(2000, 1, 1))
    with alpha.context():
        assert methods_due(organization=alpha.organization, today=date(2030, 1, 1)) == []
