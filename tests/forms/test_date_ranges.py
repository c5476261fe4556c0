"""A list's "from" date after its "to" date is said, not answered with an empty list: the page shows the error by the
filter and keeps the other filters (the "to" date is ignored); the API answers 400 naming the "to" parameter. Every
list gets it from its FilterSet's base (qms.listing.PageFilterSet pairs each date's lower and upper bound)."""

from datetime import date

import pytest
from django.utils import timezone

from feedback.filters import FeedbackFilter
from qms.audit.filters import AuditEventFilter
from qms.listing import PageFilterSet
from tests.factories import FeedbackItemFactory

INBOX_MESSAGE = "The “Received to” date is before the “Received from” date."


def test_the_inbox_says_the_from_date_is_after_the_to_date(alpha, login):
    FeedbackItemFactory(organization=alpha.organization, text="Spring order", received_on=date(2026, 3, 5))
    backwards = {"received_from": "2026-03-01", "received_to": "2026-02-01"}
    response = login(alpha.staff).get("/o/alpha/feedback/", backwards)
    assert response.status_code == 200
    assert response.context["form"].errors == {"received_to": [INBOX_MESSAGE]}
    page = response.content.decode()
    assert INBOX_MESSAGE in page
    assert "Spring order" in page  # the "from" date still applies; the "to" date is the one ignored


def test_the_same_day_for_both_is_a_range(alpha, login):
    FeedbackItemFactory(organization=alpha.organization, text="That day", received_on=date(2026, 3, 5))
    one_day = {"received_from": "2026-03-05", "received_to": "2026-03-05"}
    response = login(alpha.staff).get("/o/alpha/feedback/", one_day)
    assert response.context["form"].errors == {}
    assert "That day" in response.content.decode()


def test_the_feedback_api_answers_400_naming_the_to_date(alpha, api):
    response = api(alpha, "staff").get("feedback/", {"received_from": "2026-03-01", "received_to": "2026-02-01"})
    assert response.status_code == 400
    assert response.json() == {"received_to": [INBOX_MESSAGE]}


def test_the_audit_trail_says_its_from_date_is_after_its_to_date(alpha, login):
    today = timezone.localdate()
    response = login(alpha.owner).get("/o/alpha/audit/", {"since": today.isoformat(), "until": "2020-01-01"})
    assert response.status_code == 200
    assert response.context["ignored_filters"] == ["To (before From)"]
    assert "To (before From)" in response.content.decode()


def test_the_audit_events_api_answers_400_naming_until(alpha, api):
    response = api(alpha, "auditor").get("audit-events/", {"since": "2026-03-01", "until": "2026-02-01"})
    assert response.status_code == 400
    assert response.json() == {"until": ["The “To” date is before the “From” date."]}


@pytest.mark.parametrize("filterset", [FeedbackFilter, AuditEventFilter])
def test_each_list_with_dates_pairs_them(filterset):
    assert len(filterset.date_ranges()) == 1


def test_every_filter_set_with_two_bounds_of_one_date_pairs_them():
    """A later list's from/to (gte/lte of one field) is checked without saying so."""
    import django_filters

    class Dated(PageFilterSet):
        after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte", label="After")
        before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte", label="Before")
        alone = django_filters.DateFilter(field_name="closed_at", lookup_expr="gte")

    assert Dated.date_ranges() == [("after", "before")]


pytestmark = pytest.mark.django_db
