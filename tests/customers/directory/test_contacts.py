"""Contacts of a customer: adding and editing them, consent dates, one email per contact, and who may do it."""

import pytest
from django.utils import timezone

from customers.models import Contact
from customers.services.customers import DUPLICATE_EMAIL
from qms.audit.models import AuditEvent
from qms.audit.sealing import unseal_events
from qms.tenancy.models import Role
from tests.factories import ContactFactory, CustomerFactory

from .conftest import contacts, url


def _form(**overrides):
    return {
        "name": "Ann Smith",
        "email": "ann@acme.example",
        "phone": "+44 20 7946 0000",
        "preferred_language": "en",
        "consent": "unknown",
        **overrides,
    }


def _contact(tenant, pk) -> Contact:
    with tenant.context():
        return Contact.objects.get(pk=pk)


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.STAFF])
def test_a_member_who_may_write_adds_a_contact_and_it_is_audited(alpha, login, role):
    customer = CustomerFactory(organization=alpha.organization, name="Acme")
    response = login(alpha.member(role)).post(
        url("contact_create", alpha, customer_id=customer.pk), _form(email=" Ann@Acme.Example ", consent="granted")
    )
    assert response.status_code == 302
    assert response["Location"] == url("customer_detail", alpha, customer_id=customer.pk)
    (contact,) = contacts(alpha)
    assert (contact.customer, contact.email, contact.consent) == (customer, "ann@acme.example", "granted")
    assert contact.consent_changed_at is not None
    with alpha.context():
        event = AuditEvent.objects.get(organization=alpha.organization, action="contact.create")
        assert event.object_repr == f"Contact #{contact.pk}"  # never the person's name
        assert "ann@acme.example" not in str(event.changes)  # sealed as stored...
        [event] = unseal_events(organization=alpha.organization, events=[event])
    assert event.changes["customer"] == [None, "Acme"]  # ...and readable while the contact is not erased
    assert event.changes["email"] == [None, "ann@acme.example"]


def test_changing_the_consent_state_dates_the_change(alpha, login):
    contact = ContactFactory(customer=CustomerFactory(organization=alpha.organization), consent="granted")
    assert contact.consent_changed_at is None
    before = timezone.now()
    login(alpha.staff).post(
        url("contact_edit", alpha, contact_id=contact.pk), _form(email=contact.email, consent="opted_out")
    )
    saved = _contact(alpha, contact.pk)
    assert saved.consent == "opted_out"
    assert saved.consent_changed_at >= before
    with alpha.context():
        event = AuditEvent.objects.get(organization=alpha.organization, action="contact.update")
    assert event.changes["consent"] == ["granted", "opted_out"]


def test_saving_other_fields_keeps_the_consent_date(alpha, login):
    stamped = timezone.now() - timezone.timedelta(days=30)
    contact = ContactFactory(
        customer=CustomerFactory(organization=alpha.organization), consent="granted", consent_changed_at=stamped
    )
    login(alpha.staff).post(
        url("contact_edit", alpha, contact_id=contact.pk),
        _form(email=contact.email, consent="granted", phone="123 456"),
    )
    saved = _contact(alpha, contact.pk)
    assert (saved.phone, saved.consent_changed_at) == ("123 456", stamped)


def test_an_email_already_used_by_another_contact_is_a_form_error_not_a_500(alpha, login):
    customer = CustomerFactory(organization=alpha.organization)
    ContactFactory(customer=customer, email="taken@acme.example")
    response = login(alpha.staff).post(
        url("contact_create", alpha, customer_id=customer.pk), _form(email="TAKEN@acme.example")
    )
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [DUPLICATE_EMAIL]
    assert len(contacts(alpha)) == 1


def test_editing_a_contact_to_anothers_email_is_a_form_error(alpha, login):
    customer = CustomerFactory(organization=alpha.organization)
    ContactFactory(customer=customer, email="taken@acme.example")
    mine = ContactFactory(customer=customer, email="mine@acme.example")
    response = login(alpha.staff).post(
        url("contact_edit", alpha, contact_id=mine.pk), _form(email="taken@acme.example")
    )
    assert response.context["form"].errors["email"] == [DUPLICATE_EMAIL]
    assert _contact(alpha, mine.pk).email == "mine@acme.example"


def test_an_email_used_in_another_organisation_is_fine(alpha, bravo, login):
    ContactFactory(customer=CustomerFactory(organization=bravo.organization), email="shared@example.com")
    customer = CustomerFactory(organization=alpha.organization)
    response = login(alpha.staff).post(
        url("contact_create", alpha, customer_id=customer.pk), _form(email="shared@example.com")
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "call me maybe"), ("preferred_language", "english please"), ("email", "not-an-email")],
)
def test_a_malformed_phone_language_or_email_is_a_form_error(alpha, login, field, value):
    customer = CustomerFactory(organization=alpha.organization)
    response = login(alpha.staff).post(url("contact_create", alpha, customer_id=customer.pk), _form(**{field: value}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert contacts(alpha) == []


def test_an_auditor_cannot_add_or_edit_contacts(alpha, login):
    contact = ContactFactory(customer=CustomerFactory(organization=alpha.organization), name="Kept")
    client = login(alpha.auditor)
    assert client.get(url("contact_create", alpha, customer_id=contact.customer_id)).status_code == 403
    assert client.get(url("contact_edit", alpha, contact_id=contact.pk)).status_code == 403
    assert client.post(url("contact_edit", alpha, contact_id=contact.pk), _form(name="Changed")).status_code == 403
    assert _contact(alpha, contact.pk).name == "Kept"


def test_another_organisations_contact_is_not_found(alpha, bravo, login):
    theirs = ContactFactory(customer=CustomerFactory(organization=bravo.organization), name="Bravo Person")
    client = login(alpha.owner)
    assert client.get(url("contact_edit", alpha, contact_id=theirs.pk)).status_code == 404
    assert client.post(url("contact_edit", alpha, contact_id=theirs.pk), _form(name="Hijacked")).status_code == 404
    assert client.get(url("contact_edit", bravo, contact_id=theirs.pk)).status_code == 404
    assert _contact(bravo, theirs.pk).name == "Bravo Person"


def test_an_erased_contact_cannot_be_edited(alpha, login):
    erased = ContactFactory(customer=CustomerFactory(organization=alpha.organization), erased_at=timezone.now())
    assert login(alpha.manager).get(url("contact_edit", alpha, contact_id=erased.pk)).status_code == 404
