"""Reads of the clause 9.1.2 register of monitoring methods, and when each is next due for review."""

import calendar
from datetime import date
from typing import Any

from django.db.models import Case, DateField, Func, Q, QuerySet, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from feedback.models import MethodReview, MonitoringMethod
from qms.tenancy.access import get_object_for_member
from qms.tenancy.models import Organization

Frequency = MonitoringMethod.Frequency
MONTHS: dict[str, int] = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.HALF_YEARLY: 6, Frequency.YEARLY: 12}


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the end of a shorter month: 31 Aug + 6 → 28 Feb."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _latest_base_due_by(today: date, months: int) -> date:
    """The latest review date whose next review falls on or before `today` (the inverse of add_months)."""
    earlier = add_months(today, -months)
    if today.day == calendar.monthrange(today.year, today.month)[1]:
        return earlier.replace(day=calendar.monthrange(earlier.year, earlier.month)[1])
    return earlier


def method_reviews(*, method: MonitoringMethod) -> QuerySet[MethodReview]:
    """The method's reviews, latest first, each with who held it."""
    return MethodReview.objects.filter(organization_id=method.organization_id, method=method).select_related(
        "reviewed_by"
    )


def method_next_review_on(method: MonitoringMethod) -> date:
    """A method is reviewed every period from its last review; one never reviewed counts from its creation."""
    base = method.last_reviewed_on or timezone.localdate(method.created_at)
    return add_months(base, MONTHS[method.review_frequency])


class _AddMonths(Func):
    """A date `months` later, in SQL, so that a list can be sorted by the next review. PostgreSQL keeps the end of
    a shorter month as add_months does (31 Aug + 6 → 28 Feb); SQLite's date() runs over into the next month
    (→ 3 Mar), which can only move a sort by those few days: the page shows add_months' date."""

    output_field = DateField()
    template = "date(%(expressions)s, '+%(months)d months')"

    def __init__(self, expression: Any, *, months: int) -> None:
        super().__init__(expression, months=int(months))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(%(expressions)s + make_interval(months => %(months)d))::date", **extra
        )


def _with_base(queryset: QuerySet) -> QuerySet:
    """Each method with `review_base` (the date its review period counts from) and `next_review` (when it is due)."""
    queryset = queryset.annotate(review_base=Coalesce("last_reviewed_on", TruncDate("created_at")))
    return queryset.annotate(
        next_review=Case(
            *(
                When(review_frequency=frequency, then=_AddMonths("review_base", months=n))
                for frequency, n in MONTHS.items()
            ),
            output_field=DateField(),
        )
    )


def _due_q(today: date) -> Q:
    due = Q(pk__in=[])
    for frequency, months in MONTHS.items():
        due |= Q(review_frequency=frequency, review_base__lte=_latest_base_due_by(today, months))
    return due


def methods_for_organization(*, organization: Organization) -> QuerySet[MonitoringMethod]:
    """Every method of the register, retired ones included, by name, each with `review_base` (the date its review
    period counts from). The register page filters it with feedback.filters.MethodFilter."""
    qs = _with_base(MonitoringMethod.objects.filter(organization=organization).select_related("owner"))
    return qs.order_by("name", "pk")


def methods_due_by(queryset: QuerySet[MonitoringMethod], today: date) -> QuerySet[MonitoringMethod]:
    """The methods of `queryset` (from methods_for_organization) whose review is due on or before `today`."""
    return queryset.filter(_due_q(today))


def methods_due(*, organization: Organization, today: date) -> list[MonitoringMethod]:
    """Active methods whose review is due today or overdue, most overdue first, each with `next_review_on`."""
    active = methods_for_organization(organization=organization).filter(retired_at__isnull=True)
    methods = list(methods_due_by(active, today))
    for method in methods:
        method.next_review_on = method_next_review_on(method)
    return sorted(methods, key=lambda m: (m.next_review_on, m.name))


def access_method(*, organization: Organization, method_id: int) -> MonitoringMethod:
    return get_object_for_member(
        MonitoringMethod.objects.select_related("owner"), organization=organization, pk=method_id
    )
