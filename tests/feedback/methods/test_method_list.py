"""The register of monitoring methods: everyone in the organisation reads it; due reviews stand out."""

from datetime import date, timedelta

from django.utils import timezone

from feedback.models import MonitoringMethod
from tests.factories import MonitoringMethodFactory

LIST = "/o/alpha/methods/"


def method(tenant, **fields):
    return MonitoringMethodFactory(organization=tenant.organization, **fields)


def test_every_role_reads_the_register(alpha, login):
    method(alpha, name="Annual satisfaction survey")
    for role in ("owner", "manager", "staff", "auditor"):
        response = login(alpha.member(role)).get(LIST)
        assert response.status_code == 200, role
        assert "Annual satisfaction survey" in response.content.decode()


def test_it_shows_kind_owner_frequency_and_the_next_review_date(alpha, login):
    method(
        alpha,
        name="Key account meetings",
        kind=MonitoringMethod.Kind.MEETING,
        owner=alpha.manager,
        review_frequency=MonitoringMethod.Frequency.HALF_YEARLY,
        last_reviewed_on=date(2030, 1, 15),
    )
    content = login(alpha.staff).get(LIST).content.decode()
    assert "Customer meeting" in content
    assert alpha.manager.get_full_name() in content
    assert "Every six months" in content
    assert "15 Jan 2030" in content
    assert "15 Jul 2030" in content


def test_an_overdue_review_is_highlighted_in_words_not_only_colour(alpha, login):
    today = timezone.localdate()
    method(alpha, name="Overdue survey", last_reviewed_on=today - timedelta(days=400))
    method(alpha, name="Fresh survey", last_reviewed_on=today)
    content = login(alpha.staff).get(LIST).content.decode()
    overdue_row = content[content.index("Overdue survey") : content.index("</tr>", content.index("Overdue survey"))]
    fresh_row = content[content.index("Fresh survey") : content.index("</tr>", content.index("Fresh survey"))]
    assert "Overdue</span>" in overdue_row
    assert "Overdue</span>" not in fresh_row
    assert content.count('class="row-attention"') == 1


def test_it_filters_by_kind_owner_due_and_search(alpha, login):
    today = timezone.localdate()
    method(alpha, name="Dealer returns", kind=MonitoringMethod.Kind.DEALER, owner=alpha.staff, last_reviewed_on=today)
    method(alpha, name="Warranty claims", kind=MonitoringMethod.Kind.WARRANTY, description="Returns from the field")
    method(alpha, name="Old survey", last_reviewed_on=today - timedelta(days=800))
    client = login(alpha.auditor)

    def names(query):
        content = client.get(LIST + query).content.decode()
        return {n for n in ("Dealer returns", "Warranty claims", "Old survey") if n in content}

    assert names("?kind=dealer") == {"Dealer returns"}
    assert names(f"?owner={alpha.staff.pk}") == {"Dealer returns"}
    assert names("?due=1") == {"Old survey"}
    assert names("?q=returns") == {"Dealer returns", "Warranty claims"}
    assert names("?kind=not-a-kind&owner=abc") == {"Dealer returns", "Warranty claims", "Old survey"}


def test_retired_methods_are_hidden_unless_asked_for(alpha, login):
    method(alpha, name="Active method")
    method(alpha, name="Retired method", retired_at=timezone.now())
    client = login(alpha.staff)
    assert "Retired method" not in client.get(LIST).content.decode()
    assert "Retired method" in client.get(LIST + "?retired=1").content.decode()


def test_it_paginates(alpha, login):
    for n in range(55):
        method(alpha, name=f"Method {n:03d}")
    client = login(alpha.staff)
    first = client.get(LIST).content.decode()
    second = client.get(LIST + "?page=2").content.decode()
    assert "Method 000" in first and "Method 054" not in first
    assert "Method 054" in second
    assert "55 in all" in first


def test_only_managers_see_the_edit_controls(alpha, login):
    method(alpha, name="Survey")
    assert "Record review" in login(alpha.manager).get(LIST).content.decode()
    for role in ("staff", "auditor"):
        content = login(alpha.member(role)).get(LIST).content.decode()
        assert "Record review" not in content and "Add a method" not in content


def test_another_organisations_methods_are_not_listed(alpha, bravo, login):
    method(bravo, name="Bravo secret method")
    assert "Bravo secret method" not in login(alpha.owner).get(LIST).content.decode()
    assert login(alpha.owner).get("/o/bravo/methods/").status_code == 404


def test_an_invalid_value_drops_only_its_own_filter_and_retired_stay_hidden(alpha, login):
    method(alpha, name="Dealer returns", kind=MonitoringMethod.Kind.DEALER)
    method(alpha, name="Warranty claims", kind=MonitoringMethod.Kind.WARRANTY, description="Returns from the field")
    method(alpha, name="Retired returns", retired_at=timezone.now())
    client = login(alpha.staff)

    def names(query):
        content = client.get(LIST + query).content.decode()
        return {n for n in ("Dealer returns", "Warranty claims", "Retired returns") if n in content}

    assert names("?kind=not-a-kind&q=returns") == {"Dealer returns", "Warranty claims"}
    assert names("?kind=dealer&owner=abc&due=maybe") == {"Dealer returns"}
    assert names("?retired=yes&q=returns") == {"Dealer returns", "Warranty claims"}
    assert names("?retired=1&kind=warranty") == {"Warranty claims"}
