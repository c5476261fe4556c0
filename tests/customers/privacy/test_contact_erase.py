"""Right to erasure: the contact is pseudonymised, their feedback keeps its statistics, the trail keeps no values."""

import json
from datetime import date

import pytest

from customers.models import Contact
from feedback.models import FeedbackItem
from qms.audit.models import AuditEvent
from qms.outbox.models import OutboxMessage
from tests.factories import ContactFactory, FeedbackItemFactory, FeedbackThemeFactory, OutboxMessageFactory

EMAIL, PHONE, NAME = "ada@lovelace.example", "+44 20 7946 0001", "Ada Lovelace"
PERSONAL = (EMAIL, PHONE, NAME, "ada@LOVELACE.example", "Ada L.")


@pytest.fixture
def ada(alpha):
    return ContactFactory(
        customer__organization=alpha.organization, name=NAME, email=EMAIL, phone=PHONE, consent="granted"
    )


@pytest.fixture
def items(alpha, ada):
    linked = FeedbackItemFactory(
        organization=alpha.organization,
        contact=ada,
        customer=ada.customer,
        kind="complaint",
        channel="web_form",
        status="closed",
        sentiment="negative",
        received_on=date(2026, 3, 4),
        submitter_name="Ada L.",
        submitter_email="ada@LOVELACE.example",
        text=f"Call me on {PHONE} or write to ada@LOVELACE.example. The gearbox failed.",
        closing_note=f"Phoned {PHONE}, replaced the gearbox.",
    )
    FeedbackThemeFactory(feedback=linked, theme__name="Reliability")
    by_email = FeedbackItemFactory(organization=alpha.organization, submitter_email=EMAIL, text="No address here.")
    other = FeedbackItemFactory(organization=alpha.organization, submitter_email="bob@example.org", text="Bob's words")
    return linked, by_email, other


def erase(client, contact, slug="alpha"):
    return client.post(f"/o/{slug}/contacts/{contact.pk}/erase/")


def fresh(tenant, obj):
    with tenant.context():
        return type(obj).objects.get(pk=obj.pk)


def test_the_confirmation_page_says_what_goes_and_what_stays(alpha, login, ada, items):
    response = login(alpha.manager).get(f"/o/alpha/contacts/{ada.pk}/erase/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "What goes" in content and "What stays" in content
    assert "2 feedback items" in content


def test_erasure_pseudonymises_the_contact(alpha, login, ada, items):
    response = erase(login(alpha.owner), ada)
    assert response.status_code == 302
    contact = fresh(alpha, ada)
    assert contact.name == f"Erased contact #{ada.pk}"
    assert (contact.email, contact.phone) == ("", "")
    assert contact.consent == Contact.Consent.OPTED_OUT
    assert contact.erased_at is not None and contact.consent_changed_at == contact.erased_at
    assert contact.customer_id == ada.customer_id


def test_erasure_scrubs_their_feedback_and_keeps_the_statistics(alpha, login, ada, items):
    linked, by_email, other = items
    erase(login(alpha.manager), ada)
    linked, by_email, other = (fresh(alpha, i) for i in items)
    assert (linked.submitter_name, linked.submitter_email) == ("", "")
    assert linked.text == "Call me on [erased] or write to [erased]. The gearbox failed."
    assert linked.closing_note == "Phoned [erased], replaced the gearbox."
    assert (linked.kind, linked.channel, linked.status, linked.sentiment, linked.received_on) == (
        "complaint",
        "web_form",
        "closed",
        "negative",
        date(2026, 3, 4),
    )
    assert (linked.contact_id, linked.customer_id) == (ada.pk, ada.customer_id)
    with alpha.context():
        assert [t.name for t in linked.themes.all()] == ["Reliability"]
        assert FeedbackItem.objects.filter(organization=alpha.organization).count() == 3
    assert (by_email.submitter_email, by_email.text) == ("", "No address here.")
    assert (other.submitter_email, other.text) == ("bob@example.org", "Bob's words")


def test_erasure_leaves_a_tombstone_without_personal_data(alpha, login, ada, items):
    erase(login(alpha.owner), ada)
    with alpha.context():
        tombstone = AuditEvent.objects.get(organization=alpha.organization, action="contact.erase")
        new_events = list(AuditEvent.objects.filter(organization=alpha.organization, seq__gte=tombstone.seq - 2))
    assert (tombstone.object_type, tombstone.object_id) == ("customers.contact", str(ada.pk))
    assert tombstone.changes["erased_fields"] == [None, "name, email, phone, consent"]
    assert tombstone.changes["feedback_items"] == [None, 2]
    assert {e.action for e in new_events} == {"feedback.erase_personal_data", "contact.erase"}
    for event in new_events:
        written = json.dumps(event.changes) + event.object_repr
        for value in PERSONAL:
            assert value.lower() not in written.lower(), f"{event.action} keeps {value!r}"


def test_emails_to_the_person_are_erased_and_one_not_yet_sent_is_not_sent(alpha, login, ada):
    pending = OutboxMessageFactory(organization=alpha.organization, to_email=EMAIL, body_text=f"Hello {NAME}")
    sent = OutboxMessageFactory(organization=alpha.organization, to_email=EMAIL, state="sent")
    unrelated = OutboxMessageFactory(organization=alpha.organization, to_email="bob@example.org")
    erase(login(alpha.owner), ada)
    pending, sent, unrelated = (fresh(alpha, m) for m in (pending, sent, unrelated))
    assert (pending.to_email, pending.body_text, pending.state) == ("", "[erased]", OutboxMessage.State.FAILED)
    assert (sent.to_email, sent.state) == ("", OutboxMessage.State.SENT)
    assert (unrelated.to_email, unrelated.state) == ("bob@example.org", OutboxMessage.State.PENDING)


def test_a_contact_cannot_be_erased_twice(alpha, login, ada, items):
    client = login(alpha.owner)
    erase(client, ada)
    erased_at = fresh(alpha, ada).erased_at
    response = erase(client, ada)
    assert response.status_code == 302
    follow = client.get(response["Location"]).content.decode()
    assert "already erased" in follow
    assert fresh(alpha, ada).erased_at == erased_at
    with alpha.context():
        assert AuditEvent.objects.filter(organization=alpha.organization, action="contact.erase").count() == 1
    assert "Erase contact" not in follow.split("already erased")[1]


def test_after_erasure_the_export_holds_no_personal_data(alpha, login, ada, items):
    client = login(alpha.owner)
    erase(client, ada)
    content = client.get(f"/o/alpha/contacts/{ada.pk}/export.json").content.decode()
    assert EMAIL not in content and PHONE not in content and "ada@LOVELACE" not in content
    assert f"Erased contact #{ada.pk}" in content


def test_the_email_of_an_erased_contact_can_be_used_by_a_new_contact(alpha, login, ada):
    erase(login(alpha.owner), ada)
    ContactFactory(customer=ada.customer, email=EMAIL)


@pytest.mark.parametrize("role", ["staff", "auditor"])
def test_staff_and_auditors_cannot_erase(alpha, login, ada, items, role):
    client = login(alpha.member(role))
    assert client.get(f"/o/alpha/contacts/{ada.pk}/erase/").status_code == 403
    assert erase(client, ada).status_code == 403
    assert fresh(alpha, ada).name == NAME
    assert fresh(alpha, items[0]).submitter_name == "Ada L."


def test_another_organisations_contact_is_not_found(alpha, bravo, login):
    theirs = ContactFactory(customer__organization=bravo.organization, name="Bravo Person")
    client = login(alpha.owner)
    assert client.get(f"/o/alpha/contacts/{theirs.pk}/erase/").status_code == 404
    assert erase(client, theirs).status_code == 404
    assert erase(client, theirs, slug="bravo").status_code == 404
    assert fresh(bravo, theirs).name == "Bravo Person"


def test_the_person_s_name_is_erased_from_the_text_as_a_whole_word_only(alpha, login):
    ann = ContactFactory(customer__organization=alpha.organization, name="Ann", email="ann@example.org", phone="")
    item = FeedbackItemFactory(
        organization=alpha.organization,
        contact=ann,
        submitter_name="Ann Smith",
        text="Ann Smith here: our annual order arrived late. ANN",
        closing_note="Called Ann about the Annual review.",
    )
    erase(login(alpha.owner), ann)
    item = fresh(alpha, item)
    assert item.text == "[erased] here: our annual order arrived late. [erased]"
    assert item.closing_note == "Called [erased] about the Annual review."
