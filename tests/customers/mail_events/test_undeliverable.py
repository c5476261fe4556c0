"""What bounces, complaints and deliveries do to a contact's address, and how the directory shows and clears it."""

import json

from django.urls import reverse

from customers.models import Contact
from customers.services.mail_events import MailEvent, mail_events_apply
from qms.audit.models import AuditEvent

from .conftest import contact_of, fresh


def _apply(tenant, *events):
    with tenant.context():
        return mail_events_apply(organization=tenant.organization, events=events, source="test")


def _soft(email):
    return MailEvent("bounce", email, "soft", reason="452 mailbox full")


def test_three_soft_bounces_in_a_row_mark_the_address_and_a_delivery_in_between_resets_the_count(alpha):
    ann = contact_of(alpha)
    _apply(alpha, _soft(ann.email), _soft(ann.email), MailEvent("delivered", ann.email))
    assert fresh(alpha, ann).soft_bounces == 0 and fresh(alpha, ann).undeliverable_at is None
    counts = _apply(alpha, _soft(ann.email), _soft(ann.email), _soft(ann.email))
    assert counts == {"received": 3, "soft_bounce": 2, "undeliverable": 1}
    ann = fresh(alpha, ann)
    assert ann.undeliverable_at is not None and ann.soft_bounces == 3
    assert ann.undeliverable_reason == "3 soft bounces in a row: 452 mailbox full"


def test_a_complaint_or_hard_bounce_marks_at_once_and_a_second_one_changes_nothing(alpha):
    ann = contact_of(alpha)
    assert _apply(alpha, MailEvent("complaint", ann.email))["undeliverable"] == 1
    marked = fresh(alpha, ann).undeliverable_at
    assert _apply(alpha, MailEvent("bounce", ann.email, "hard"), _soft(ann.email)) == {"received": 2, "unchanged": 2}
    assert fresh(alpha, ann).undeliverable_at == marked
    with alpha.context():
        assert AuditEvent.objects.filter(organization=alpha.organization, object_id=str(ann.pk)).count() == 1


def test_an_event_is_matched_by_the_outbox_message_it_names(alpha):
    from tests.factories import OutboxMessageFactory

    ann = contact_of(alpha)
    with alpha.context():
        OutboxMessageFactory(organization=alpha.organization, to_email=ann.email, message_id="<abc@closeloop.test>")
    assert _apply(alpha, MailEvent("bounce", "", "hard", message_id="abc@closeloop.test"))["undeliverable"] == 1


def test_a_manager_clears_the_mark_and_it_is_audited(alpha, login):
    ann = contact_of(alpha)
    _apply(alpha, MailEvent("bounce", ann.email, "hard", reason="550 gone"))
    page_url = reverse("customers:contact_detail", kwargs={"org_slug": alpha.slug, "contact_id": ann.pk})
    clear = reverse("customers:contact_deliverable", kwargs={"org_slug": alpha.slug, "contact_id": ann.pk})
    page = login(alpha.manager).get(page_url).content.decode()
    assert "Undeliverable" in page and "Hard bounce: 550 gone" in page and clear in page
    assert clear not in login(alpha.staff).get(page_url).content.decode()
    assert login(alpha.staff).post(clear).status_code == 403
    assert login(alpha.manager).post(clear).status_code == 302
    ann = fresh(alpha, ann)
    assert ann.undeliverable_at is None and ann.undeliverable_reason == "" and ann.soft_bounces == 0
    with alpha.context():
        [event] = AuditEvent.objects.filter(organization=alpha.organization, action="contact.deliverable_again")
    assert event.actor == alpha.manager


def test_the_list_badges_and_filters_customers_with_an_undeliverable_address(alpha, login):
    ann = contact_of(alpha)
    with alpha.context():
        from tests.factories import CustomerFactory

        CustomerFactory(organization=alpha.organization, name="Fine Ltd")
    _apply(alpha, MailEvent("complaint", ann.email))
    url = reverse("customers:customer_list", kwargs={"org_slug": alpha.slug})
    page = login(alpha.auditor).get(url).content.decode()
    assert "1 undeliverable address" in page and "Fine Ltd" in page
    filtered = login(alpha.auditor).get(url, {"undeliverable": "yes"}).content.decode()
    assert "alpha Acme" in filtered and "Fine Ltd" not in filtered


def test_the_privacy_export_includes_the_mark(alpha, login):
    ann = contact_of(alpha)
    _apply(alpha, MailEvent("bounce", ann.email, "hard", reason="550 gone"))
    url = reverse("customers:contact_export", kwargs={"org_slug": alpha.slug, "contact_id": ann.pk})
    response = login(alpha.manager).get(url)
    exported = json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    assert exported["contact"]["undeliverable_reason"] == "Hard bounce: 550 gone"
    assert exported["contact"]["undeliverable_at"] and exported["contact"]["soft_bounces"] == 0


def test_erasure_removes_the_bounces_answer(alpha):
    from customers.services.privacy import contact_erase

    ann = contact_of(alpha)
    _apply(alpha, MailEvent("bounce", ann.email, "hard", reason=f"550 {ann.email} unknown"))
    with alpha.context():
        contact_erase(contact=Contact.objects.get(pk=ann.pk), actor=alpha.manager)
    assert fresh(alpha, ann).undeliverable_reason == ""
