"""Each person's language and time zone: their own choice, else their browser's language, else the organisation's;
every date and time on a page in that time zone, right on either side of a daylight-saving change."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from qms.accounts.models import User
from qms.audit.models import AuditEvent
from qms.tenancy.models import Organization
from tests.factories import FeedbackItemFactory

UTC = dt.UTC


def _set(tenant, **values):
    Organization.objects.filter(pk=tenant.organization.pk).update(**values)
    tenant.organization.refresh_from_db()


def _html_lang(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_german_browser_gets_german_pages(alpha, login):
    response = login(alpha.manager).get("/o/alpha/", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    assert _html_lang(response) == "de"
    assert "Accept-Language" in response["Vary"]


def test_a_persons_own_language_comes_before_their_browsers(alpha, login):
    User.objects.filter(pk=alpha.manager.pk).update(language="de")
    response = login(alpha.manager).get("/o/alpha/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert response["Content-Language"] == "de"


def test_a_browser_asking_for_a_language_the_product_lacks_gets_the_organisations(alpha, login):
    _set(alpha, language="de")
    response = login(alpha.manager).get("/o/alpha/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert response["Content-Language"] == "de"
    english = login(alpha.manager).get("/o/alpha/", headers={"Accept-Language": "en-US"})
    assert english["Content-Language"] == "en-gb"


def test_a_customer_on_the_public_form_gets_their_browsers_language_else_the_organisations(alpha, client):
    _set(alpha, language="de")
    assert client.get("/p/alpha/feedback/", headers={"Accept-Language": "en"})["Content-Language"] == "en-gb"
    assert client.get("/p/alpha/feedback/")["Content-Language"] == "de"


def test_django_messages_and_form_errors_speak_german(alpha, login):
    User.objects.filter(pk=alpha.manager.pk).update(language="de")
    url = reverse("feedback:feedback_create", kwargs={"org_slug": alpha.slug})
    response = login(alpha.manager).post(url, {"channel": "phone"})
    assert response.status_code == 200
    assert "Dieses Feld ist zwingend erforderlich." in response.content.decode()


@pytest.mark.parametrize(
    ("created", "shown"),
    [
        # Europe/Berlin: summer time (UTC+2) until 01:00 UTC on 25 Oct 2026, then UTC+1.
        (dt.datetime(2026, 10, 24, 22, 30, tzinfo=UTC), "25 Oct 2026, 00:30"),
        (dt.datetime(2026, 10, 25, 22, 30, tzinfo=UTC), "25 Oct 2026, 23:30"),
        (dt.datetime(2026, 3, 29, 0, 30, tzinfo=UTC), "29 Mar 2026, 01:30"),  # the last winter half-hour
        (dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "29 Mar 2026, 03:30"),  # the first summer one
    ],
)
def test_times_are_shown_in_the_organisations_time_zone_across_a_dst_change(alpha, login, created, shown):
    _set(alpha, time_zone="Europe/Berlin")
    with alpha.context():
        item = FeedbackItemFactory(organization=alpha.organization, created_at=created)
    url = reverse("feedback:feedback_detail", kwargs={"org_slug": alpha.slug, "feedback_id": item.pk})
    assert shown in login(alpha.manager).get(url).content.decode()


def test_a_persons_own_time_zone_comes_before_the_organisations(alpha, login):
    _set(alpha, time_zone="Europe/Berlin")
    User.objects.filter(pk=alpha.manager.pk).update(time_zone="America/New_York")
    with alpha.context():
        item = FeedbackItemFactory(
            organization=alpha.organization, created_at=dt.datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
        )
    url = reverse("feedback:feedback_detail", kwargs={"org_slug": alpha.slug, "feedback_id": item.pk})
    assert "2 Nov 2026, 07:00" in login(alpha.manager).get(url).content.decode()  # EST, a day after the US change


def test_the_organisations_today_is_the_date_where_it_works(alpha):
    _set(alpha, time_zone="Pacific/Auckland")
    late_in_london = dt.datetime(2026, 12, 1, 12, 30, tzinfo=UTC)  # 01:30 on 2 Dec in Auckland
    with timezone.override(ZoneInfo("Europe/London")):
        now = timezone.now
        try:
            timezone.now = lambda: late_in_london
            assert alpha.organization.today() == dt.date(2026, 12, 2)
        finally:
            timezone.now = now


def test_the_owner_sets_time_zone_country_and_language_and_it_is_audited(alpha, login):
    client = login(alpha.owner)
    response = client.post(
        "/o/alpha/settings/",
        {"name": "Alpha Instruments", "time_zone": "Europe/Berlin", "country": "DE", "language": "de"},
    )
    assert response.status_code == 302
    organization = Organization.objects.get(pk=alpha.organization.pk)
    assert (organization.time_zone, organization.country.code, organization.language) == ("Europe/Berlin", "DE", "de")
    with alpha.context():
        event = AuditEvent.objects.get(organization=alpha.organization, action="organization.update")
    assert event.changes["time_zone"] == ["Europe/London", "Europe/Berlin"]
    assert event.changes["language"] == ["en-gb", "de"]


@pytest.mark.parametrize(("field", "value"), [("time_zone", "Mars/Olympus"), ("language", "xx")])
def test_an_unknown_time_zone_or_language_is_refused_with_a_message(alpha, login, field, value):
    data = {"name": "Alpha Instruments", "time_zone": "Europe/London", "language": "en-gb", field: value}
    response = login(alpha.owner).post("/o/alpha/settings/", data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert Organization.objects.get(pk=alpha.organization.pk).time_zone == "Europe/London"


def test_a_person_sets_their_own_language_and_time_zone_and_hears_it_in_german(alpha, login):
    client = login(alpha.staff)
    url = reverse("accounts:preferences")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"full_name": "Sofia Lind", "language": "de", "time_zone": "Europe/Vienna"}, follow=True
    )
    user = User.objects.get(pk=alpha.staff.pk)
    assert (user.full_name, user.language, user.time_zone) == ("Sofia Lind", "de", "Europe/Vienna")
    assert response["Content-Language"] == "de"
    refused = client.post(url, {"language": "de", "time_zone": "Nowhere/Else"})
    assert refused.status_code == 200 and refused.context["form"].errors["time_zone"]
