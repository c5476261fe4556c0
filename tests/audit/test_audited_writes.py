"""The one audited write (qms/audit/writes.py): lock, apply, diff, stamp, save only what changed, record."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from customers.models import Contact, Customer
from customers.services.customers import contact_update, customer_update
from feedback.services.inbox import feedback_update
from qms.audit.models import AuditEvent
from qms.audit.sealing import ERASED, shred, subject_of, unseal_events
from qms.audit.writes import audited_update
from tests.factories import ContactFactory, CustomerFactory, FeedbackItemFactory


def _events(tenant, action):
    with tenant.context():
        return list(AuditEvent.objects.filter(organization=tenant.organization, action=action).order_by("seq"))


def test_only_the_changed_fields_are_saved_so_a_concurrent_change_to_another_field_survives(alpha):
    customer = CustomerFactory(organization=alpha.organization, name="Calder Pumps", segment="Industrial")
    with alpha.context():
        Customer.objects.filter(pk=customer.pk).update(region="North")  # someone else, after we read the row
        updated = customer_update(customer=customer, actor=alpha.manager, name="Calder Pumps plc")
        stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.segment, stored.region) == ("Calder Pumps plc", "Industrial", "North")
    assert updated.region == "North"  # the service returns the locked, fresh row
    [event] = _events(alpha, "customer.update")
    assert event.changes == {"name": ["Calder Pumps", "Calder Pumps plc"]}


def test_an_update_that_changes_nothing_saves_nothing_and_records_nothing(alpha):
    customer = CustomerFactory(organization=alpha.organization, name="Calder Pumps")
    with alpha.context():
        before = Customer.objects.get(pk=customer.pk).updated_at
        customer_update(customer=customer, actor=alpha.manager, name=" Calder Pumps ")
        assert Customer.objects.get(pk=customer.pk).updated_at == before
    assert _events(alpha, "customer.update") == []


def test_a_change_stamps_updated_at(alpha):
    customer = CustomerFactory(organization=alpha.organization)
    with alpha.context():
        before = Customer.objects.get(pk=customer.pk).updated_at
        customer_update(customer=customer, actor=alpha.manager, notes="Prefers email")
        assert Customer.objects.get(pk=customer.pk).updated_at > before


def test_personal_fields_declared_on_the_model_are_sealed_in_the_event(alpha):
    contact = ContactFactory(customer__organization=alpha.organization, name="Ada Lovelace", phone="")
    with alpha.context():
        contact_update(contact=contact, actor=alpha.manager, name="Ada King", consent=Contact.Consent.GRANTED)
    [event] = _events(alpha, "contact.update")
    assert event.object_repr == f"Contact #{contact.pk}"
    assert event.changes["name"][1] == {"sealed": subject_of(contact), "token": event.changes["name"][1]["token"]}
    assert "Ada" not in str(event.changes)
    assert event.changes["consent"] == ["unknown", "granted"]
    assert event.changes["consent_changed_at"][0] is None  # changing consent stamps when


def test_a_move_to_another_person_seals_what_it_leaves_for_them_and_what_it_leads_to_for_the_new_one(alpha):
    ann, bob = (ContactFactory(customer__organization=alpha.organization, name=name) for name in ("Ann", "Bob"))
    item = FeedbackItemFactory(organization=alpha.organization, contact=ann, text="Words")
    with alpha.context():
        feedback_update(feedback=item, actor=alpha.manager, contact=bob, text="Other words")
    [event] = _events(alpha, "feedback.update")
    was_anns, is_bobs = [subject_of(item), subject_of(ann)], [subject_of(item), subject_of(bob)]
    for name in ("contact", "text"):
        assert [value["sealed"] for value in event.changes[name]] == [was_anns, is_bobs]
    with alpha.context():
        shred(organization=alpha.organization, subjects=[subject_of(ann)])
        [shown] = unseal_events(organization=alpha.organization, events=[event])
    assert (shown.changes["contact"], shown.changes["text"]) == ([ERASED, "Bob"], [ERASED, "Other words"])


def test_prepare_sees_the_locked_row_and_its_refusal_writes_nothing(alpha):
    customer = CustomerFactory(organization=alpha.organization, name="Old")

    def refuse(locked):
        assert locked.name == "Old"
        raise ValidationError("No.")

    with pytest.raises(ValidationError), transaction.atomic(), alpha.context():  # a savepoint: the test goes on
        audited_update(instance=customer, actor=alpha.manager, action="customer.update", data={"name": "New"},
                       prepare=refuse)  # fmt: skip
    with alpha.context():
        assert Customer.objects.get(pk=customer.pk).name == "Old"
    assert _events(alpha, "customer.update") == []


def test_a_unique_clash_is_the_services_message_not_a_database_error(alpha):
    CustomerFactory(organization=alpha.organization, external_ref="CRM-1")
    other = CustomerFactory(organization=alpha.organization, external_ref="CRM-2")
    with alpha.context(), pytest.raises(ValidationError) as refused:
        customer_update(customer=other, actor=alpha.manager, external_ref="CRM-1")
    assert "external reference" in str(refused.value)


def test_an_update_service_refuses_fields_it_does_not_change(alpha):
    customer = CustomerFactory(organization=alpha.organization)
    with alpha.context(), pytest.raises(TypeError):
        customer_update(customer=customer, actor=alpha.manager, created_at=None)


def test_the_api_changes_only_the_fields_it_was_sent(alpha, api):
    customer = CustomerFactory(organization=alpha.organization, name="Calder", segment="Industrial", notes="Keep")
    response = api(alpha, "manager").patch(f"customers/{customer.pk}/", {"segment": "Energy"})
    assert response.status_code == 200, response.content
    with alpha.context():
        stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.segment, stored.notes) == ("Calder", "Energy", "Keep")
    [event] = _events(alpha, "customer.update")
    assert event.changes == {"segment": ["Industrial", "Energy"]}
