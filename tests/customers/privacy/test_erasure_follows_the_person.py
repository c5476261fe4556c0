"""Erasure follows the person, not the record's current link: feedback recorded for Tariq and then moved to Bea
keeps nothing of Tariq once he is erased (its timeline, the feedback API, the trail, its CSV and API), while what
is Bea's stays readable and the chain still verifies."""

import pytest

from customers.services.customers import contact_create
from feedback.models import FeedbackItem
from feedback.services.inbox import feedback_create, feedback_update
from qms.audit.models import AuditEvent
from qms.audit.selectors import audit_chain_verify
from tests.factories import CustomerFactory

TARIQ = ("Tariq Patel", "tariq@patel.example", "+44 20 7946 0777")
BEA = ("Bea Okafor", "bea@okafor.example", "+44 20 7946 0888")
TEXT = "Tariq Patel says the HP-200 pump leaks at the flange; call him on +44 20 7946 0777."


@pytest.fixture
def people(alpha):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc")
        return [
            contact_create(
                organization=alpha.organization,
                actor=alpha.manager,
                customer=customer,
                name=name,
                email=email,
                phone=phone,
            )  # fmt: skip
            for name, email, phone in (TARIQ, BEA)
        ]


def _recorded_by_the_service(alpha, client, tariq, bea) -> FeedbackItem:
    """Recorded for Tariq with his name and address, then moved to Bea with hers."""
    with alpha.context():
        item = feedback_create(
            organization=alpha.organization, actor=alpha.staff, channel="phone", kind="concern", text=TEXT,
            contact=tariq, submitter_name=TARIQ[0], submitter_email=TARIQ[1],
        )  # fmt: skip
        return feedback_update(feedback=item, actor=alpha.manager, contact=bea, submitter_name=BEA[0],
                               submitter_email=BEA[1])  # fmt: skip


def _recorded_on_the_page(alpha, client, tariq, bea) -> FeedbackItem:
    """Recorded for Tariq with his name typed in, then only the contact corrected to Bea on the edit page."""
    form = {"channel": "phone", "kind": "concern", "received_on": "2026-03-02", "text": TEXT,
            "customer": tariq.customer_id, "submitter_name": TARIQ[0]}  # fmt: skip
    assert client.post("/o/alpha/feedback/new/", {**form, "contact": tariq.pk}).status_code == 302
    with alpha.context():
        item = FeedbackItem.objects.get(organization=alpha.organization)
    assert client.post(f"/o/alpha/feedback/{item.pk}/edit/", {**form, "contact": bea.pk}).status_code == 302
    return item


@pytest.fixture(params=[_recorded_by_the_service, _recorded_on_the_page], ids=["service", "page"])
def moved(request, alpha, login, people):
    tariq, bea = people
    client = login(alpha.manager)
    item = request.param(alpha, client, tariq, bea)
    with alpha.context():
        moves = AuditEvent.objects.filter(organization=alpha.organization, action="feedback.update")
        assert [set(event.changes) >= {"contact"} for event in moves] == [True]
    return client, item


def _shown(client, api_client, item) -> dict[str, str]:
    return {
        "item page and timeline": client.get(f"/o/alpha/feedback/{item.pk}/").content.decode(),
        "feedback API item": api_client.get(f"feedback/{item.pk}/").content.decode(),
        "feedback API list": api_client.get("feedback/").content.decode(),
        "trail page": client.get("/o/alpha/audit/?per_page=100").content.decode(),
        "trail CSV": client.get("/o/alpha/audit/export.csv").content.decode(),
        "audit-events API": api_client.get("audit-events/", {"page_size": 100}).content.decode(),
    }


def _holds(content: str, person: tuple[str, ...]) -> list[str]:
    return [value for value in person if value.lower() in content.lower()]


def test_the_moved_item_shows_both_people_while_they_are_on_file(alpha, api, moved):
    client, item = moved
    timeline = _shown(client, api(alpha, "owner"), item)["item page and timeline"].split("Timeline", 1)[-1]
    assert TARIQ[0] in timeline and BEA[0] in timeline


def test_erasing_the_first_contact_reaches_the_item_after_it_moved(alpha, api, people, moved):
    client, item = moved
    tariq, _ = people
    assert client.post(f"/o/alpha/contacts/{tariq.pk}/erase/").status_code == 302

    shown = _shown(client, api(alpha, "owner"), item)
    for where, content in shown.items():
        assert _holds(content, TARIQ) == [], f"the {where} still shows {_holds(content, TARIQ)}"
    assert BEA[0] in shown["item page and timeline"].split("Timeline", 1)[-1]
    assert BEA[0] in shown["trail page"] and BEA[1] in shown["trail CSV"]
    with alpha.context():
        item = FeedbackItem.objects.get(pk=item.pk)
        events = AuditEvent.objects.filter(organization=alpha.organization).count()
    assert item.contact_id == people[1].pk and "pump leaks at the flange" in item.text
    assert audit_chain_verify(organization=alpha.organization) == (events, None)
