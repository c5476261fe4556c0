"""The feedback module in German: a German-speaking member's inbox, item page and record form (the templates' words
and the Python code's: labels, choices, help texts, errors), and the confirmation a German-speaking contact gets."""

from feedback.emails import send_feedback_received
from qms.accounts.models import User
from tests.factories import ContactFactory, CustomerFactory, FeedbackItemFactory

from .inbox.shortcuts import url


def _german(user) -> None:
    User.objects.filter(pk=user.pk).update(language="de")
    user.refresh_from_db()


def _page(response) -> str:
    assert response.status_code == 200
    assert response["Content-Language"] == "de"
    return response.content.decode()


def test_a_german_speaking_member_reads_the_inbox_in_german(alpha, login):
    _german(alpha.manager)
    with alpha.context():
        FeedbackItemFactory(organization=alpha.organization, kind="complaint", channel="phone")
    page = _page(login(alpha.manager).get(url(alpha, "inbox")))
    assert "Feedback-Eingang" in page and "Feedback erfassen" in page
    assert "Jeder Status" in page and "Offen (nicht geschlossen)" in page  # the filters' choices
    assert "Reklamation" in page and "Telefon" in page  # the item's kind and channel
    assert "Record feedback" not in page and "Any status" not in page


def test_a_german_speaking_member_reads_an_item_in_german(alpha, login):
    _german(alpha.manager)
    with alpha.context():
        item = FeedbackItemFactory(organization=alpha.organization, kind="suggestion")
    page = _page(login(alpha.manager).get(url(alpha, "feedback_detail", feedback_id=item.pk)))
    assert "Vorschlag" in page and "Sichtung" in page
    assert "Zuständig" in page and "Stimmung" in page and "Nicht festgelegt" in page  # the triage form
    assert "Mit einem anderen Feedback-Eintrag verknüpfen" in page and "Abschlussnotiz" in page
    assert "Closing note" not in page and "Suggestion" not in page


def test_a_german_speaking_member_records_feedback_in_german(alpha, login):
    _german(alpha.staff)
    client = login(alpha.staff)
    page = _page(client.get(url(alpha, "feedback_create")))
    assert "Eingangsdatum" in page and "Was der Kunde gesagt hat" in page and "Art wählen" in page
    assert "Seine Ansprechpartner anzeigen" in page and "Wie das Feedback Sie erreicht hat." in page
    data = {"channel": "phone", "received_on": "2026-03-02", "text": "Die Pumpe leckt."}
    page = _page(client.post(url(alpha, "feedback_create"), data))
    assert "Wählen Sie, welche Art von Feedback dies ist." in page  # the form's own error
    assert "Choose what kind of feedback this is." not in page


def test_a_german_speaking_contact_gets_the_confirmation_in_german(alpha):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization)
        contact = ContactFactory(customer=customer, preferred_language="de")
        item = FeedbackItemFactory(
            organization=alpha.organization, contact=contact, submitter_email=contact.email, kind="question"
        )
        message = send_feedback_received(item=item)
    assert message.subject == f"Alpha Instruments hat Ihr Feedback erhalten ({item.reference})"
    assert "Vielen Dank für Ihr Feedback an Alpha Instruments." in message.body_text
    assert f"Ihre Referenznummer: {item.reference}" in message.body_text and "Art: Frage" in message.body_text
    assert "Thank you" not in message.body_text + message.body_html
