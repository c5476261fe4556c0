"""CSV export of the register, with the same filters as the page."""

import csv
import io
from datetime import timedelta

from django.utils import timezone

from tests.factories import MonitoringMethodFactory


def rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_export_lists_the_methods_with_their_next_review(alpha, login):
    today = timezone.localdate()
    MonitoringMethodFactory(
        organization=alpha.organization,
        name="Warranty data",
        kind="warranty",
        owner=alpha.manager,
        review_frequency="monthly",
        last_reviewed_on=today - timedelta(days=90),
    )
    MonitoringMethodFactory(organization=alpha.organization, name="=HYPERLINK(1)", last_reviewed_on=today)
    response = login(alpha.auditor).get("/o/alpha/methods/export.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="monitoring-methods-alpha.csv"'
    header, *body = rows(response)
    assert header[:7] == ["name", "kind", "owner", "review frequency", "last reviewed", "next review due", "status"]
    by_name = {row[0]: row for row in body}
    warranty = by_name["Warranty data"]
    assert warranty[1:4] == ["Warranty and returns data", alpha.manager.email, "Monthly"]
    assert warranty[6] == "review due"
    assert "'=HYPERLINK(1)" in by_name


def test_the_export_follows_the_filters(alpha, login):
    MonitoringMethodFactory(organization=alpha.organization, name="Survey A", kind="survey")
    MonitoringMethodFactory(organization=alpha.organization, name="Meeting B", kind="meeting")
    names = [row[0] for row in rows(login(alpha.staff).get("/o/alpha/methods/export.csv?kind=meeting"))[1:]]
    assert names == ["Meeting B"]


def test_the_export_holds_only_my_organisations_methods(alpha, bravo, login):
    MonitoringMethodFactory(organization=bravo.organization, name="Bravo secret method")
    content = login(alpha.owner).get("/o/alpha/methods/export.csv").content.decode()
    assert "Bravo secret method" not in content
