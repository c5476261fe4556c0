"""The dashboard's key figures: each module's selector counts the period and the one before, and the dashboard
says the change in words."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from customers.selectors.directory import dashboard_cards as customer_cards
from feedback.selectors.overview import dashboard_cards as feedback_cards
from qms.dashboard import BAD, GOOD, DashboardCard, Period
from reports.selectors import figure_trend
from tests.factories import CustomerFactory, FeedbackItemFactory

CLOSED, NEGATIVE, POSITIVE = "closed", "negative", "positive"


def _cards(cards):
    return {card.title: card for card in cards}


def test_a_period_is_the_last_30_days_against_the_30_before():
    today = timezone.localdate()
    period = Period.ending(today)
    assert (period.start, period.end, period.days) == (today - timedelta(days=29), today, 30)
    assert period.previous.end == period.start - timedelta(days=1)
    assert period.previous.days == 30
    assert period.until - period.since == timedelta(days=30)


def test_a_period_begins_at_midnight_where_the_organisation_works():
    zone = ZoneInfo("Asia/Tokyo")
    period = Period.ending(date(2026, 12, 1), zone=zone)
    assert period.since == datetime(2026, 11, 2, tzinfo=zone)
    assert period.previous.until == period.since and period.previous.zone == zone


def test_feedback_figures_count_this_period_against_the_previous_one(alpha, bravo):
    today = timezone.localdate()
    period = Period.ending(today)
    now = timezone.now()
    with alpha.context():
        org = alpha.organization
        for days_ago, sentiment in [(0, NEGATIVE), (3, NEGATIVE), (10, POSITIVE), (29, "")]:
            FeedbackItemFactory(organization=org, received_on=today - timedelta(days=days_ago), sentiment=sentiment)
        for days_ago in (30, 45):  # the previous period
            FeedbackItemFactory(organization=org, received_on=today - timedelta(days=days_ago), sentiment=NEGATIVE)
        FeedbackItemFactory(organization=org, received_on=today - timedelta(days=59))
        FeedbackItemFactory(organization=org, received_on=today - timedelta(days=90))  # before both
        # closed this period (received before it: it was open when the period began) and in the previous one
        FeedbackItemFactory(
            organization=org, received_on=today - timedelta(days=40), status=CLOSED, closed_at=now - timedelta(days=2)
        )
        FeedbackItemFactory(
            organization=org, received_on=today - timedelta(days=50), status=CLOSED, closed_at=now - timedelta(days=35)
        )
        cards = _cards(feedback_cards(organization=org, membership=None, period=period))
    with bravo.context():
        FeedbackItemFactory.create_batch(5, organization=bravo.organization, received_on=today)

    received = cards["Feedback received"]
    # the previous period: received 30, 40, 45, 50 and 59 days ago
    assert (received.value, received.previous, received.direction) == (4, 5, "down")
    assert received.hint == "1 positive · 0 neutral · 2 negative"
    assert f"received_from={period.start.isoformat()}" in received.url
    negative = cards["Marked negative"]
    # 2 of 4 this period, 2 of 5 before
    assert (negative.value, negative.previous, negative.unit, negative.tone) == (50, 40, "%", BAD)
    open_now = cards["Open feedback"]
    # open now: the 4 of this period, 30, 45, 59, 90; when the period began: 30, 45, 59, 90 and the one closed since
    assert (open_now.value, open_now.previous, open_now.direction, open_now.tone) == (8, 5, "up", BAD)
    closed = cards["Feedback closed"]
    assert (closed.value, closed.previous, closed.direction) == (1, 1, "flat")


def test_customer_figures_count_customers_added_in_each_period(alpha):
    period = Period.ending(timezone.localdate())
    now = timezone.now()
    with alpha.context():
        org = alpha.organization
        CustomerFactory.create_batch(3, organization=org)
        CustomerFactory(organization=org, created_at=now - timedelta(days=40))
        CustomerFactory(organization=org, created_at=now - timedelta(days=400), archived_at=now)
        cards = _cards(customer_cards(organization=org, membership=None, period=period))
    added = cards["Customers added"]
    assert (added.value, added.previous, added.direction, added.tone) == (3, 1, "up", "neutral")
    assert added.hint == "4 customers in the directory"
    assert cards["Contacts"].previous is None and cards["Contacts"].direction == ""


def test_a_figure_says_its_change_in_words_and_whether_it_is_good_news():
    period = Period.ending(timezone.localdate())
    assert figure_trend(DashboardCard("Received", 12, previous=9), period) == "up 3 on the previous 30 days"
    closed = DashboardCard("Closed", 4, previous=6, rising=GOOD)
    assert (figure_trend(closed, period), closed.tone) == ("down 2 on the previous 30 days", BAD)
    share = DashboardCard("Negative", 20, previous=25, rising=BAD, unit="%")
    assert (figure_trend(share, period), share.tone) == ("down 5 points on the previous 30 days", GOOD)
    assert figure_trend(DashboardCard("Same", 3, previous=3), period) == "no change on the previous 30 days"
    assert figure_trend(DashboardCard("Contacts", 3), period) == ""
