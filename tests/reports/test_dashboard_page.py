"""The dashboard is the organisation's home page (tenancy:home): per role, what needs the member, the key figures,
the weekly chart and recent activity."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from feedback.services.inbox import feedback_create
from qms import modules
from qms.audit.services import audit_record
from reports.models import DashboardVisit
from tests.factories import CustomerFactory, FeedbackItemFactory, ImportJobFactory

CLOSED = "closed"


def _home(tenant):
    return reverse("tenancy:home", kwargs={"org_slug": tenant.slug})


@pytest.fixture
def inbox(alpha):
    """Open items assigned to the staff member (one overdue), one to the manager, one unassigned and overdue, and
    one closed."""
    today = timezone.localdate()
    with alpha.context():
        org = alpha.organization
        items = {
            "staff_recent": FeedbackItemFactory(organization=org, assignee=alpha.staff, received_on=today),
            "staff_late": FeedbackItemFactory(
                organization=org, assignee=alpha.staff, received_on=today - timedelta(days=12)
            ),
            "manager": FeedbackItemFactory(organization=org, assignee=alpha.manager, received_on=today),
            "unassigned_late": FeedbackItemFactory(organization=org, received_on=today - timedelta(days=20)),
            "closed": FeedbackItemFactory(
                organization=org, assignee=alpha.staff, status=CLOSED, closed_at=timezone.now(), received_on=today
            ),
        }
    return items


def _lists(response):
    board = response.context["dashboard"]
    return {a.title: sorted(item.url.rstrip("/").rsplit("/", 1)[1] for item in a.items) for a in board.attention}


def _ids(*items):
    return sorted(str(item.pk) for item in items)


def test_staff_see_what_is_assigned_to_them_first_and_their_own_overdue_items(alpha, login, inbox):
    response = login(alpha.staff).get(_home(alpha))
    assert response.status_code == 200
    board = response.context["dashboard"]
    assert board.attention_first
    assert [a.title for a in board.attention] == ["Feedback assigned to me", "My overdue feedback"]
    lists = _lists(response)
    assert lists["Feedback assigned to me"] == _ids(inbox["staff_recent"], inbox["staff_late"])
    assert lists["My overdue feedback"] == _ids(inbox["staff_late"])
    html = response.content.decode()
    assert html.index("Needs you") < html.index("Key figures")
    assert "assignee=me" in html


def test_managers_see_everything_that_needs_attention_after_the_figures(alpha, login, inbox):
    with alpha.context():
        ImportJobFactory(organization=alpha.organization, status="preview", original_name="spring.csv", valid_rows=3)
    response = login(alpha.manager).get(_home(alpha))
    board = response.context["dashboard"]
    assert not board.attention_first
    assert [a.title for a in board.attention] == [
        "Overdue feedback",
        "Unassigned feedback",
        "Imports waiting for you",
        "Feedback assigned to me",
    ]
    lists = _lists(response)
    assert lists["Overdue feedback"] == _ids(inbox["staff_late"], inbox["unassigned_late"])
    assert lists["Unassigned feedback"] == _ids(inbox["unassigned_late"])
    assert lists["Feedback assigned to me"] == _ids(inbox["manager"])
    html = response.content.decode()
    assert html.index("Key figures") < html.index("Needs you")
    assert "spring.csv" in html and "3 rows ready" in html
    assert "Overdue" in html


def test_owners_see_the_organisations_figures_and_what_needs_attention(alpha, login, inbox):
    board = login(alpha.owner).get(_home(alpha)).context["dashboard"]
    figures = {f.card.title: f.card.value for f in board.figures}
    assert figures["Open feedback"] == 4 and figures["Feedback received"] == 5
    assert "Overdue feedback" in [a.title for a in board.attention]


def test_auditors_see_figures_and_activity_but_nothing_to_act_on(alpha, login, inbox):
    with alpha.context():
        audit_record(organization=alpha.organization, actor=alpha.manager, action="customer.create", object_repr="X")
    response = login(alpha.auditor).get(_home(alpha))
    board = response.context["dashboard"]
    assert board.attention == [] and board.new == [] and not board.shows_attention
    assert board.figures and board.activity
    html = response.content.decode()
    assert "Needs you" not in html and "New since your last visit" not in html
    assert "Recent activity" in html


def test_staff_see_their_own_recent_activity_not_the_organisations_trail(alpha, login):
    with alpha.context():
        org = alpha.organization
        audit_record(organization=org, actor=alpha.staff, action="customer.create", object_repr="Mine Ltd")
        audit_record(organization=org, actor=alpha.manager, action="customer.create", object_repr="Theirs Ltd")
    response = login(alpha.staff).get(_home(alpha))
    board = response.context["dashboard"]
    assert board.activity_is_own
    assert [entry["event"].object_repr for entry in board.activity] == ["Mine Ltd"]
    assert "My recent activity" in response.content.decode()


def test_it_shows_what_arrived_since_the_previous_visit(alpha, login):
    client = login(alpha.manager)
    first = client.get(_home(alpha)).context["dashboard"]
    assert first.first_visit
    with alpha.context():
        # the visit was two hours ago; since then, one item and one customer arrived
        two_hours_ago = timezone.now() - timedelta(hours=2)
        DashboardVisit.objects.filter(membership__user=alpha.manager).update(seen_at=two_hours_ago)
        FeedbackItemFactory(organization=alpha.organization, created_at=two_hours_ago - timedelta(hours=1))
        recent = FeedbackItemFactory(organization=alpha.organization)
        CustomerFactory(organization=alpha.organization, name="Newcomer Ltd")
    response = client.get(_home(alpha))
    board = response.context["dashboard"]
    assert not board.first_visit and board.since == two_hours_ago
    new = {a.title: a for a in board.new}
    assert new["New feedback"].count == 1 and new["New feedback"].items[0].url.endswith(f"/{recent.pk}/")
    assert new["New customers"].count == 1
    html = response.content.decode()
    assert "You were last here 2\xa0hours ago." in html and "Newcomer Ltd" in html
    # reloading within the same visit keeps the same baseline
    again = client.get(_home(alpha)).context["dashboard"]
    assert again.since == two_hours_ago and {a.title: a.count for a in again.new}["New feedback"] == 1


def test_a_brand_new_organisation_gets_a_welcome_that_says_what_to_do(alpha, login):
    response = login(alpha.owner).get(_home(alpha))
    board = response.context["dashboard"]
    assert board.is_empty and board.nothing_needs_me and board.nothing_new
    html = response.content.decode()
    assert "Nothing has been recorded here yet." in html
    assert reverse("feedback:feedback_create", kwargs={"org_slug": alpha.slug}) in html
    assert "Nothing is waiting for you" in html
    assert "0 items of feedback received over the last 12 weeks." in html


def test_a_dashboard_shows_only_its_own_organisations_figures(alpha, bravo, login, inbox):
    with bravo.context():
        FeedbackItemFactory.create_batch(7, organization=bravo.organization, received_on=timezone.localdate())
        CustomerFactory(organization=bravo.organization, name="Bravo Only plc")
    response = login(alpha.manager).get(_home(alpha))
    board = response.context["dashboard"]
    assert {f.card.title: f.card.value for f in board.figures}["Feedback received"] == 5
    assert board.chart.total == 5
    assert "Bravo Only plc" not in response.content.decode()
    assert login(alpha.manager).get(_home(bravo)).status_code == 404


def test_the_weekly_chart_is_an_accessible_svg_with_its_numbers_as_a_table(alpha, login, inbox):
    html = login(alpha.owner).get(_home(alpha)).content.decode()
    svg = re.search(r"<svg class=\"chart\".*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    assert "style=" not in svg
    assert '<div class="visually-hidden">' in html and "<caption>Feedback received per week</caption>" in html
    assert "style=" not in html.split("<main", 1)[1]


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_dashboard_takes_few_queries_however_much_there_is(alpha, login, inbox):
    client = login(alpha.manager)
    client.get(_home(alpha))
    few = _queries(client, _home(alpha))
    with alpha.context():
        org = alpha.organization
        today = timezone.localdate()
        customers = CustomerFactory.create_batch(5, organization=org)
        for n in range(40):
            FeedbackItemFactory(
                organization=org,
                customer=customers[n % 5],
                assignee=[alpha.manager, alpha.staff, None][n % 3],
                received_on=today - timedelta(days=n * 3),
            )
        for n in range(8):
            audit_record(organization=org, actor=alpha.manager, action="customer.create", object_repr=f"C{n}")
    many = _queries(client, _home(alpha))
    assert many == few
    assert many <= 30, many


def test_without_a_module_declaring_a_dashboard_the_home_page_is_the_simple_one(alpha, login, monkeypatch):
    monkeypatch.setattr("qms.tenancy.views.home_view", lambda: None)
    response = login(alpha.owner).get(_home(alpha))
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "tenancy/home.html"
    assert modules.home_view() is not None


def test_recent_activity_reads_personal_values_in_words_not_sealed(alpha, login):
    with alpha.context():
        feedback_create(
            organization=alpha.organization, actor=alpha.manager, kind="concern", channel="phone",
            text="The valve leaked twice.", received_on=timezone.localdate(),
        )  # fmt: skip
    html = login(alpha.owner).get(_home(alpha)).content.decode()
    assert "The valve leaked twice." in html and "token" not in html.split('id="h-activity"', 1)[1]
