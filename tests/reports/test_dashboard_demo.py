"""The demo makes the dashboard worth looking at: items assigned to each person, overdue ones, new ones since the
last visit, and a chart with weeks of feedback."""

from django.urls import reverse

from qms.modules import demo_seeders


def test_the_demo_dashboard_has_something_in_every_section(alpha, login):
    for seeder in demo_seeders():
        with alpha.context():
            seeder(organization=alpha.organization)
    home = reverse("tenancy:home", kwargs={"org_slug": alpha.slug})
    board = login(alpha.manager).get(home).context["dashboard"]
    counts = {a.title: a.count for a in [*board.attention, *board.new]}
    assert counts["Overdue feedback"] > 0 and counts["Feedback assigned to me"] > 0
    assert counts["New feedback"] == 4 and not board.first_visit
    assert board.chart.total > 0 and board.activity
    staff = login(alpha.staff).get(home).context["dashboard"]
    assert {a.title: a.count for a in staff.attention}["Feedback assigned to me"] > 0
