"""Sending the public form: a web-form feedback item, a reference, and an optional confirmation email."""

import pytest

from customers.models import Contact
from feedback.models import FeedbackItem
from feedback.services.intake import source_ip_hash
from qms.audit.models import AuditEvent
from tests.factories import ContactFactory

from .helpers import filled, items_of, outbox_of, submit


def test_a_submission_becomes_a_web_form_item_and_shows_its_reference(alpha, client):
    response = submit(client, alpha, ip="203.0.113.9")
    assert response.status_code == 302
    [item] = items_of(alpha)
    assert item.reference.startswith("F-")
    assert (item.channel, item.kind, item.status) == (FeedbackItem.Channel.WEB_FORM, "suggestion", "new")
    assert item.text == "The calibration certificate should come with the wrench, not by post."
    assert (item.submitter_name, item.submitter_email, item.product) == (
        "Ada Customer",
        "ada@customer.example",
        "Torque wrench TW-40",
    )
    assert item.source_ip_hash == source_ip_hash("203.0.113.9")
    assert "203.0.113.9" not in item.source_ip_hash
    assert (item.contact, item.customer, item.created_by) == (None, None, None)
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert item.reference in thanks.content.decode()


def test_the_submission_lands_in_the_staff_inbox_as_a_web_form_item(alpha, client, login):
    submit(client, alpha)
    [item] = items_of(alpha)
    content = login(alpha.staff).get("/o/alpha/feedback/?channel=web_form").content.decode()
    assert item.reference in content
    assert login(alpha.staff).get("/o/alpha/feedback/?channel=phone").content.decode().count(item.reference) == 0


def test_the_submission_is_audited_as_the_system(alpha, client):
    submit(client, alpha)
    [item] = items_of(alpha)
    with alpha.context():
        event = AuditEvent.objects.get(organization=alpha.organization, action="feedback.create")
    assert (event.object_id, event.actor_id, event.actor_label) == (str(item.pk), None, "system")


def test_no_email_is_sent_unless_asked_for(alpha, client):
    submit(client, alpha)
    assert outbox_of(alpha) == []


def test_a_confirmation_is_queued_when_asked_for_and_carries_only_the_reference(alpha, client):
    response = submit(client, alpha, send_confirmation="on")
    [item] = items_of(alpha)
    [message] = outbox_of(alpha)
    assert (message.to_email, message.purpose, message.state) == (
        "ada@customer.example",
        "feedback-received",
        "pending",
    )
    assert item.reference in message.subject and "Alpha Instruments" in message.subject
    assert item.reference in message.body_text and item.reference in message.body_html
    for typed in ("calibration certificate", "Ada Customer", "Torque wrench"):
        assert typed not in message.body_text + message.body_html + message.subject
    assert "sending it to the email address you gave" in client.get(response["Location"]).content.decode()


def test_a_confirmation_needs_an_email_address(alpha, client):
    response = submit(client, alpha, send_confirmation="on", email="")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Enter your email address so that we can send you the confirmation." in content
    assert "The calibration certificate should come with the wrench, not by post." in content
    assert items_of(alpha) == [] and outbox_of(alpha) == []


def test_a_sender_known_by_email_is_matched_to_their_contact_without_changing_it(alpha, client):
    contact = ContactFactory(
        customer__organization=alpha.organization, name="Ada Lovelace", email="ada@customer.example"
    )
    submit(client, alpha, email="ADA@Customer.example", name="Someone Else")
    [item] = items_of(alpha)
    assert (item.contact_id, item.customer_id) == (contact.pk, contact.customer_id)
    assert (item.submitter_name, item.submitter_email) == ("Someone Else", "ADA@Customer.example")
    with alpha.context():
        contact.refresh_from_db()
        assert Contact.objects.filter(organization=alpha.organization).count() == 1
    assert (contact.name, contact.email) == ("Ada Lovelace", "ada@customer.example")


def test_an_unknown_sender_does_not_become_a_contact(alpha, client):
    submit(client, alpha, email="new.person@example.org")
    with alpha.context():
        assert not Contact.objects.filter(organization=alpha.organization).exists()
    [item] = items_of(alpha)
    assert item.contact is None


def test_a_contact_of_another_organisation_is_never_matched(alpha, bravo, client):
    ContactFactory(customer__organization=bravo.organization, email="ada@customer.example")
    submit(client, alpha)
    [item] = items_of(alpha)
    assert (item.contact_id, item.customer_id) == (None, None)


def test_consent_to_be_contacted_is_recorded_against_the_item(alpha, client):
    submit(client, alpha, may_contact="on")
    [item] = items_of(alpha)
    with alpha.context():
        event = AuditEvent.objects.get(organization=alpha.organization, action="feedback.contact_consent")
    assert event.object_id == str(item.pk)
    assert event.changes == {"may_contact": [None, True]}


def test_without_the_tick_no_consent_is_recorded(alpha, client):
    submit(client, alpha)
    with alpha.context():
        assert not AuditEvent.objects.filter(
            organization=alpha.organization, action="feedback.contact_consent"
        ).exists()


@pytest.mark.parametrize("kind", ["compliment", "suggestion", "question", "concern", "complaint"])
def test_each_kind_can_be_sent(alpha, client, kind):
    assert submit(client, alpha, kind=kind).status_code == 302
    assert [i.kind for i in items_of(alpha)] == [kind]


def test_name_email_and_product_are_optional(alpha, client):
    response = client.post("/p/alpha/feedback/", filled(alpha, name="", email="", product=""))
    assert response.status_code == 302
    [item] = items_of(alpha)
    assert (item.submitter_name, item.submitter_email, item.product) == ("", "", "")


def test_references_are_numbered_in_the_organisations_own_series(alpha, bravo, client):
    submit(client, alpha)
    submit(client, alpha)
    submit(client, bravo)
    assert [i.reference[-4:] for i in items_of(alpha)] == ["0001", "0002"]
    assert [i.reference[-4:] for i in items_of(bravo)] == ["0001"]
