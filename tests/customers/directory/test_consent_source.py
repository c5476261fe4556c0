"""When and how a contact opted out: contact_opt_out (the contact themselves, from an email or the unsubscribe
page), idempotent and audited without an actor; staff, the API and the import record their own source; the
contact's page, the customer's contact list and the export show it."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from customers.models import Contact
from customers.services.customers import contact_opt_out, contact_update
from qms.accounts.models import User
from qms.audit.models import AuditEvent
from tests.factories import ContactFactory, CustomerFactory

from .conftest import csv_bytes, import_file, row, url

Source = Contact.ConsentSource


def _contact(tenant, pk) -> Contact:
    with tenant.context():
        return Contact.objects.get(pk=pk)


def _events(tenant, action):
    with tenant.context():
        return list(AuditEvent.objects.filter(organization=tenant.organization, action=action))


@pytest.fixture
def contact(alpha):
    return ContactFactory(customer=CustomerFactory(organization=alpha.organization, name="Acme"), consent="granted")


def test_opting_out_records_when_and_how_and_is_audited_as_the_contact_themselves(alpha, contact):
    before = timezone.now()
    with alpha.context():
        assert contact_opt_out(contact=contact, source=Source.ONE_CLICK) is True
    saved = _contact(alpha, contact.pk)
    assert (saved.consent, saved.consent_source) == (Contact.Consent.OPTED_OUT, "one_click")
    assert saved.consent_changed_at >= before
    (event,) = _events(alpha, "contact.opt_out")
    assert event.actor_id is None and event.actor_label == "system"  # as the public form's submissions
    assert event.changes["consent"] == ["granted", "opted_out"]
    assert event.changes["consent_source"] == ["", "one_click"]


def test_opting_out_twice_changes_nothing_the_second_time(alpha, contact):
    with alpha.context():
        assert contact_opt_out(contact=contact, source=Source.UNSUBSCRIBE_PAGE) is True
        stamped = Contact.objects.get(pk=contact.pk).consent_changed_at
        assert contact_opt_out(contact=contact, source=Source.ONE_CLICK) is False
    saved = _contact(alpha, contact.pk)
    assert (saved.consent_source, saved.consent_changed_at) == ("unsubscribe_page", stamped)
    assert len(_events(alpha, "contact.opt_out")) == 1


def test_a_member_opting_a_contact_out_is_the_events_actor(alpha, contact):
    with alpha.context():
        contact_opt_out(contact=contact, source=Source.STAFF, actor=alpha.manager)
    (event,) = _events(alpha, "contact.opt_out")
    assert event.actor_id == alpha.manager.pk


def test_an_unknown_source_is_refused(alpha, contact):
    with alpha.context(), pytest.raises(ValueError):
        contact_opt_out(contact=contact, source="carrier pigeon")


def test_staff_changing_the_consent_record_it_as_theirs_and_other_edits_keep_the_source(alpha, contact, login):
    form = {"name": contact.name, "email": contact.email, "phone": "", "preferred_language": "en"}
    login(alpha.staff).post(url("contact_edit", alpha, contact_id=contact.pk), {**form, "consent": "opted_out"})
    assert _contact(alpha, contact.pk).consent_source == "staff"
    with alpha.context():
        Contact.objects.filter(pk=contact.pk).update(consent_source="one_click")
    login(alpha.staff).post(url("contact_edit", alpha, contact_id=contact.pk), {**form, "consent": "opted_out"})
    assert _contact(alpha, contact.pk).consent_source == "one_click"  # the consent did not change


def test_the_api_records_its_own_source(alpha, contact):
    with alpha.context():
        contact_update(contact=contact, actor=alpha.staff, consent="opted_out", consent_source=Source.API)
    assert _contact(alpha, contact.pk).consent_source == "api"


def test_an_import_that_changes_the_consent_records_it_as_imported(alpha, contact):
    unchanged = ContactFactory(customer=contact.customer, consent="granted", consent_source="staff")
    rows = [
        row(name="Acme", ref="", contact=contact.name, email=contact.email, consent="opted_out"),
        row(name="Acme", ref="", contact=unchanged.name, email=unchanged.email, consent="granted"),
        row(name="Acme", ref="", contact="New Person", email="new@acme.example", consent="granted"),
        row(name="Acme", ref="", contact="Not Asked", email="notasked@acme.example"),
    ]
    import_file(alpha, csv_bytes(rows))
    with alpha.context():
        sources = dict(Contact.objects.filter(organization=alpha.organization).values_list("email", "consent_source"))
    assert sources == {
        contact.email: "import",
        unchanged.email: "staff",
        "new@acme.example": "import",
        "notasked@acme.example": "",
    }


def test_the_contacts_page_says_when_and_how_they_opted_out(alpha, contact, login):
    with alpha.context():
        contact_opt_out(contact=contact, source=Source.ONE_CLICK)
        Contact.objects.filter(pk=contact.pk).update(
            consent_changed_at=datetime.datetime(2026, 12, 3, 12, tzinfo=datetime.UTC)
        )
    page = login(alpha.staff).get(url("contact_detail", alpha, contact_id=contact.pk)).content.decode()
    assert "Opted out on" in page and "3 Dec 2026</time> · One-click unsubscribe in an email" in page


def test_the_contacts_page_speaks_german(alpha, contact, login):
    with alpha.context():
        contact_opt_out(contact=contact, source=Source.UNSUBSCRIBE_PAGE)
    User.objects.filter(pk=alpha.staff.pk).update(language="de")
    page = login(alpha.staff).get(url("contact_detail", alpha, contact_id=contact.pk)).content.decode()
    assert "Widersprochen am" in page and "Abmeldeseite" in page


def test_the_customers_contact_list_shows_the_source(alpha, contact, login):
    with alpha.context():
        contact_opt_out(contact=contact, source=Source.UNSUBSCRIBE_PAGE)
    page = login(alpha.staff).get(url("customer_detail", alpha, customer_id=contact.customer_id)).content.decode()
    assert "· Unsubscribe page" in page


def test_the_export_has_the_consent_source_and_imports_back_without_a_note(alpha, contact, login):
    with alpha.context():
        contact_opt_out(contact=contact, source=Source.ONE_CLICK)
    exported = login(alpha.staff).get(url("customer_export", alpha)).content
    (line,) = csv.DictReader(io.StringIO(exported.decode("utf-8-sig")))
    assert (line["consent"], line["consent_source"]) == ("opted_out", "one_click")
    job = import_file(alpha, exported)
    assert job.errors == []
    assert _contact(alpha, contact.pk).consent_source == "one_click"
