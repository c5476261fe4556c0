"""Erasure reaches the audit trail: personal values in audit events are sealed under their subject's key, read
back everywhere the trail is shown while the person is on file, and unreadable everywhere once they are erased;
the chain still verifies, because it hashes the sealed form."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.services.customers import contact_create, contact_update
from feedback.services.inbox import feedback_close, feedback_create
from qms.audit.models import AuditEvent, PersonalDataKey
from qms.audit.sealing import ERASED, unseal_events
from qms.audit.selectors import audit_chain_verify
from tests.factories import CustomerFactory

NAME, EMAIL, NEW_EMAIL, PHONE = "Ada Lovelace", "ada@lovelace.example", "ada@engine.example", "+44 20 7946 0001"
TEXT = "The difference engine jammed twice; call me on +44 20 7946 0001."
PERSONAL = (NAME, EMAIL, NEW_EMAIL, PHONE)
WORDS = "difference engine"  # the feedback's own words: the item keeps them (scrubbed), the trail's copy goes


@pytest.fixture
def history(alpha):
    """A contact and her feedback as members record them: every step audited, through the services."""
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization, name="Analytical Ltd")
        ada = contact_create(
            organization=alpha.organization, actor=alpha.manager, customer=customer, name=NAME, email=EMAIL, phone=PHONE
        )
        ada = contact_update(
            contact=ada, actor=alpha.manager, name=NAME, email=NEW_EMAIL, phone=PHONE, preferred_language="en",
            consent="granted",
        )  # fmt: skip
        item = feedback_create(
            organization=alpha.organization, actor=alpha.staff, channel="phone", kind="complaint", text=TEXT,
            customer=customer, contact=ada, submitter_name=NAME, submitter_email=NEW_EMAIL,
        )  # fmt: skip
        feedback_close(feedback=item, actor=alpha.manager, note=f"Rang {NAME} back on {PHONE}.")
    return ada, item


def _raw_events(tenant) -> list[AuditEvent]:
    with tenant.context():
        return list(AuditEvent.objects.filter(organization=tenant.organization).order_by("seq"))


def _holds(text: str, values=PERSONAL) -> list[str]:
    return [value for value in values if value.lower() in text.lower()]


def _everything_shown(client, api_client, alpha, ada, item) -> dict[str, str]:
    """Every place the trail is shown, as a person or an integration reads it."""
    return {
        "trail page": client.get("/o/alpha/audit/?per_page=100").content.decode(),
        "trail CSV": client.get("/o/alpha/audit/export.csv").content.decode(),
        "event pages": "".join(client.get(f"/o/alpha/audit/{e.pk}/").content.decode() for e in _raw_events(alpha)),
        "API": api_client.get("audit-events/", {"page_size": 100}).content.decode(),
        "feedback timeline": client.get(f"/o/alpha/feedback/{item.pk}/").content.decode().split("Timeline", 1)[-1],
        "contact export": client.get(f"/o/alpha/contacts/{ada.pk}/export.json").content.decode(),
    }


def test_personal_values_are_stored_sealed_and_shown_readable(alpha, login, api, history):
    ada, item = history
    for event in _raw_events(alpha):
        stored = json.dumps(event.changes) + event.object_repr
        assert _holds(stored, (*PERSONAL, WORDS)) == [], f"{event.action} stores personal data"
    shown = _everything_shown(login(alpha.owner), api(alpha, "owner"), alpha, ada, item)
    for where in ("trail page", "trail CSV", "API"):
        assert _holds(shown[where]) == list(PERSONAL), where
    assert NEW_EMAIL in shown["feedback timeline"] and "difference engine" in shown["feedback timeline"]
    assert EMAIL in shown["contact export"] and NEW_EMAIL in shown["contact export"]


def test_after_erasure_no_place_shows_what_the_trail_held_of_the_person(alpha, login, api, history):
    ada, item = history
    client = login(alpha.owner)
    assert client.post(f"/o/alpha/contacts/{ada.pk}/erase/").status_code == 302

    shown = _everything_shown(client, api(alpha, "owner"), alpha, ada, item)
    for where, content in shown.items():
        assert _holds(content) == [], f"the {where} still shows {_holds(content)}"
    for where in ("trail page", "trail CSV", "event pages", "API", "feedback timeline"):
        assert WORDS not in shown[where] and ERASED in shown[where], where
    with alpha.context():
        assert PersonalDataKey.objects.filter(organization=alpha.organization).count() == 0
        tombstone = AuditEvent.objects.get(organization=alpha.organization, action="contact.erase")
    assert tombstone.changes["audit_keys_deleted"] == [None, 2]  # the contact's key and the item's
    assert audit_chain_verify(organization=alpha.organization) == (len(_raw_events(alpha)), None)


def test_erasure_leaves_other_people_readable(alpha, login, history):
    ada, _ = history
    with alpha.context():
        other = contact_create(
            organization=alpha.organization, actor=alpha.manager, customer=ada.customer, name="Charles Babbage",
            email="charles@engine.example",
        )  # fmt: skip
    client = login(alpha.owner)
    client.post(f"/o/alpha/contacts/{ada.pk}/erase/")
    page = client.get("/o/alpha/audit/?per_page=100").content.decode()
    assert "charles@engine.example" in page and "Charles Babbage" in page
    assert f"Contact #{other.pk}" in page


def test_an_organisation_cannot_unseal_another_s_values(alpha, bravo, history):
    sealed = [e for e in _raw_events(alpha) if e.action == "contact.create"]
    with bravo.context():
        [event] = unseal_events(organization=bravo.organization, events=sealed)
    assert event.changes["email"] == [None, ERASED]


def test_the_trail_unseals_a_page_with_one_query_whatever_the_number_of_people(alpha, login):
    def queries_for_trail(people: int, prefix: str) -> int:
        with alpha.context():
            for n in range(people):
                contact_create(
                    organization=alpha.organization, actor=alpha.manager,
                    customer=CustomerFactory(organization=alpha.organization), name=f"P{n}",
                    email=f"{prefix}{n}@x.example",
                )  # fmt: skip
        client = login(alpha.owner)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/o/alpha/audit/?per_page=100").status_code == 200
        return len(queries)

    assert queries_for_trail(2, "a") == queries_for_trail(20, "b")
