"""The product in German, end to end: a German-speaking member's pages (the templates' words and the Python code's:
form labels, choices, the dashboard's chart, the navigation), the sign-in page for a browser asking for German, a
styled 404, and a notification digest in the recipient's language and time zone."""

from datetime import UTC, datetime

from django.urls import reverse

from qms.accounts.models import User
from qms.notifications.emails import send_digest
from qms.notifications.models import Notification
from qms.tenancy.models import Membership
from tests.factories.notifications import NotificationFactory
from tests.notifications.conftest import notification_mail


def _german(user) -> None:
    User.objects.filter(pk=user.pk).update(language="de", time_zone="America/New_York")
    user.refresh_from_db()


def _page(client, url: str, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    assert response["Content-Language"] == "de"
    return response.content.decode()


def test_a_german_speaking_member_reads_the_dashboard_in_german(alpha, login):
    _german(alpha.owner)
    page = _page(login(alpha.owner), reverse("tenancy:home", kwargs={"org_slug": alpha.slug}))
    assert "Übersicht" in page
    assert "Eingegangenes Feedback pro Woche" in page
    assert "Feedback-Einträge in den letzten 12 Wochen eingegangen." in page  # a plural written in Python
    assert "Zuhören" in page  # a group of the navigation
    assert "Feedback received per week" not in page


def test_a_german_speaking_member_reads_the_members_page_in_german(alpha, login):
    _german(alpha.owner)
    page = _page(login(alpha.owner), reverse("tenancy:members", kwargs={"org_slug": alpha.slug}))
    assert "Jemanden einladen" in page and "Offene Einladungen" in page
    assert "Für Auditoren erforderlich: Ihr Zugang endet an diesem Datum." in page  # the form's help text
    assert "Mitarbeiter" in page and "Inhaber" in page  # the roles' labels
    assert "Invite someone" not in page


def test_a_german_speaking_member_reads_the_settings_page_in_german(alpha, login):
    _german(alpha.owner)
    page = _page(login(alpha.owner), reverse("tenancy:settings", kwargs={"org_slug": alpha.slug}))
    assert "Einstellungen" in page and "Zeitzone" in page
    assert "Zwei-Faktor-Anmeldung für Inhaber und Auditoren verlangen" in page
    assert "Aktuelles Logo entfernen" in page
    assert "Time zone" not in page


def test_a_browser_asking_for_german_gets_the_sign_in_page_in_german(client):
    page = _page(client, reverse("accounts:login"), **{"Accept-Language": "de"})
    assert "Bei Closeloop anmelden" in page and "Passwort vergessen?" in page
    assert "E-Mail" in page and "Passwort" in page  # the form's labels
    assert "Forgotten your password?" not in page


def test_a_german_speaking_member_gets_a_styled_404_in_german(alpha, login):
    _german(alpha.owner)
    response = login(alpha.owner).get(f"/o/{alpha.slug}/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Fehler 404" in page and "Diese Seite gibt es nicht" in page
    assert "This page does not exist" not in page


def test_a_digest_to_a_german_speaking_member_is_in_german_and_in_their_time_zone(alpha):
    _german(alpha.manager)
    with alpha.context():
        membership = Membership.objects.get(organization=alpha.organization, user=alpha.manager)
        notifications = [
            NotificationFactory(
                organization=alpha.organization,
                recipient=alpha.manager,
                title=title,
                url="/o/alpha/feedback/1/",
                email=Notification.Email.DIGEST,
                created_at=datetime(2026, 3, 2, 15, 30, tzinfo=UTC),  # 10:30 in New York (EST, UTC-5)
            )
            for title in ("New feedback F-1", "New feedback F-2")
        ]
        send_digest(membership=membership, notifications=notifications)
    (mail,) = notification_mail(alpha, "notification-digest")
    assert mail.subject == "Alpha Instruments: 2 Benachrichtigungen heute"
    assert mail.body_text.startswith("Hallo,")
    assert "Seit Ihrer letzten Tageszusammenfassung hat Alpha Instruments 2 Benachrichtigungen für Sie:" in (
        mail.body_text
    )
    assert "Alle Ihre Benachrichtigungen:" in mail.body_text
    assert "10:30" in mail.body_text and "15:30" not in mail.body_text
    assert "<strong>Alpha Instruments</strong> 2 Benachrichtigungen für Sie" in mail.body_html
