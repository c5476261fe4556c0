"""Right of access: everything held about one contact, as a JSON download, for owners and managers only."""

import json

import pytest

from qms.audit.models import AuditEvent
from tests.factories import AuditEventFactory, ContactFactory, FeedbackItemFactory, FeedbackThemeFactory
from tests.feedback.public.helpers import submit

from .helpers import attach


@pytest.fixture
def ada(alpha):
    contact = ContactFactory(
        customer__organization=alpha.organization,
        customer__name="Lovelace Engines",
        name="Ada Lovelace",
        email="ada@lovelace.example",
        phone="+44 20 7946 0001",
        consent="granted",
    )
    AuditEventFactory(
        organization=alpha.organization,
        actor=alpha.manager,
        action="contact.update",
        object_type="feedback.contact",
        object_id=str(contact.pk),
        object_repr="Ada Lovelace",
        changes={"consent": ["unknown", "granted"]},
    )
    return contact


def export(client, contact, slug="alpha"):
    return client.get(f"/o/{slug}/contacts/{contact.pk}/export.json")


def test_the_export_holds_the_contact_their_customer_and_their_feedback(alpha, login, ada):
    linked = FeedbackItemFactory(organization=alpha.organization, contact=ada, text="Linked text", product="Engine")
    sent = FeedbackItemFactory(organization=alpha.organization, submitter_email="ADA@lovelace.example", text="By email")
    FeedbackItemFactory(organization=alpha.organization, text="Someone else's feedback")
    FeedbackThemeFactory(feedback=linked, theme__name="Delivery")
    attach(alpha, linked, "invoice.pdf")
    response = export(login(alpha.manager), ada)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="contact-{ada.pk}-alpha.json"'
    data = json.loads(response.content)
    assert data["contact"]["name"] == "Ada Lovelace"
    assert data["contact"]["email"] == "ada@lovelace.example"
    assert data["contact"]["phone"] == "+44 20 7946 0001"
    assert data["customer"]["name"] == "Lovelace Engines"
    by_reference = {f["reference"]: f for f in data["feedback"]}
    assert set(by_reference) == {linked.reference, sent.reference}
    assert by_reference[linked.reference]["text"] == "Linked text"
    assert by_reference[linked.reference]["themes"] == ["Delivery"]
    [attachment] = by_reference[linked.reference]["attachments"]
    assert (attachment["name"], attachment["content_type"]) == ("invoice.pdf", "application/pdf")
    assert by_reference[sent.reference]["text"] == "By email"
    assert "Someone else's feedback" not in response.content.decode()


def test_the_export_includes_the_consent_history(alpha, login, ada, client):
    submit(client, alpha, email="ada@lovelace.example", may_contact="on")
    data = json.loads(export(login(alpha.owner), ada).content)
    history = data["consent_history"]
    assert [entry["action"] for entry in history] == ["contact.update", "feedback.contact_consent"]
    assert history[0]["consent"] == ["unknown", "granted"]
    assert history[0]["by"] == alpha.manager.email
    assert history[1]["may_contact"] is True
    assert [e["action"] for e in data["record_history"]] == ["contact.update"]


def test_the_export_is_audited_without_copying_the_persons_name(alpha, login, ada):
    export(login(alpha.owner), ada)
    with alpha.context():
        event = AuditEvent.objects.get(organization=alpha.organization, action="contact.export")
    assert (event.object_type, event.object_id, event.actor_id) == ("customers.contact", str(ada.pk), alpha.owner.pk)
    assert "Ada" not in event.object_repr and "ada@" not in json.dumps(event.changes)


@pytest.mark.parametrize("role", ["staff", "auditor"])
def test_staff_and_auditors_cannot_export(alpha, login, ada, role):
    response = export(login(alpha.member(role)), ada)
    assert response.status_code == 403
    assert b"ada@lovelace.example" not in response.content
    with alpha.context():
        assert not AuditEvent.objects.filter(organization=alpha.organization, action="contact.export").exists()


def test_another_organisations_contact_is_not_found(alpha, bravo, login):
    theirs = ContactFactory(customer__organization=bravo.organization, email="secret@bravo.example")
    response = export(login(alpha.owner), theirs)
    assert response.status_code == 404
    assert b"secret@bravo.example" not in response.content
    assert export(login(alpha.owner), theirs, slug="bravo").status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(alpha, client, ada):
    response = export(client, ada)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
