"""/api/v1/o/<slug>/contacts/: list, filter, create, retrieve and partially update; every write audited."""

import pytest
from django.utils import timezone

from customers.models import Contact
from tests.api_client import events, results
from tests.factories import ContactFactory, CustomerFactory


def contacts_of(tenant):
    with tenant.context():
        return list(Contact.objects.filter(organization=tenant.organization).order_by("pk"))


@pytest.fixture
def acme(alpha):
    return CustomerFactory(organization=alpha.organization, name="Acme")


def test_the_list_holds_only_my_organisations_contacts(alpha, bravo, api, acme):
    ContactFactory(customer=acme, name="Alpha Person")
    ContactFactory(customer__organization=bravo.organization, name="Bravo Person")
    assert [c["name"] for c in results(api(alpha, "auditor").get("contacts/"))] == ["Alpha Person"]


def test_the_list_filters_by_customer_email_and_consent(alpha, api, acme):
    other = CustomerFactory(organization=alpha.organization)
    ContactFactory(customer=acme, name="Ann", email="ann@acme.example", consent="granted")
    ContactFactory(customer=acme, name="Ben", consent="opted_out")
    ContactFactory(customer=other, name="Cat")
    client = api(alpha, "staff")

    def names(query):
        return {c["name"] for c in results(client.get("contacts/", query))}

    assert names({"customer": acme.pk}) == {"Ann", "Ben"}
    assert names({"email": "ANN@acme.example"}) == {"Ann"}
    assert names({"consent": "opted_out"}) == {"Ben"}


def test_a_staff_member_creates_a_contact_and_it_is_audited(alpha, api, acme):
    response = api(alpha, "staff").post(
        "contacts/", {"customer": acme.pk, "name": "Dee", "email": "Dee@Acme.example", "consent": "granted"}
    )
    assert response.status_code == 201, response.content
    [contact] = contacts_of(alpha)
    assert (contact.customer_id, contact.name, contact.email, contact.consent) == (
        acme.pk,
        "Dee",
        "dee@acme.example",
        "granted",
    )
    [event] = events(alpha, "contact.create")
    assert (event.object_id, event.actor_id) == (str(contact.pk), alpha.staff.pk)


@pytest.mark.parametrize("bad", [999999, "abc", None])
def test_an_unknown_customer_is_a_400(alpha, api, bad):
    response = api(alpha, "staff").post("contacts/", {"customer": bad, "name": "Dee"})
    assert response.status_code == 400
    assert "customer" in response.json()
    assert contacts_of(alpha) == []


def test_another_organisations_customer_is_a_400_with_a_message(alpha, bravo, api):
    theirs = CustomerFactory(organization=bravo.organization)
    response = api(alpha, "staff").post("contacts/", {"customer": theirs.pk, "name": "Dee"})
    assert response.status_code == 400
    assert response.json() == {"customer": [f"No customer with id {theirs.pk} in this organisation."]}
    assert contacts_of(alpha) == [] and len(contacts_of(bravo)) == 0


def test_a_duplicate_or_invalid_email_is_a_400(alpha, api, acme):
    ContactFactory(customer=acme, email="ann@acme.example")
    client = api(alpha, "staff")
    assert client.post("contacts/", {"customer": acme.pk, "name": "X", "email": "ann@acme.example"}).status_code == 400
    assert client.post("contacts/", {"customer": acme.pk, "name": "X", "email": "not an email"}).status_code == 400
    assert len(contacts_of(alpha)) == 1


def test_a_partial_update_changes_consent_and_is_audited(alpha, api, acme):
    contact = ContactFactory(customer=acme, name="Ann", consent="granted")
    response = api(alpha, "staff").patch(f"contacts/{contact.pk}/", {"consent": "opted_out"})
    assert response.status_code == 200, response.content
    [updated] = contacts_of(alpha)
    assert (updated.name, updated.consent) == ("Ann", "opted_out")
    assert updated.consent_changed_at is not None
    [event] = events(alpha, "contact.update")
    assert event.changes["consent"] == ["granted", "opted_out"]


def test_an_erased_contact_cannot_be_changed(alpha, api, acme):
    contact = ContactFactory(customer=acme, name="Erased contact #1", email="", erased_at=timezone.now())
    response = api(alpha, "manager").patch(f"contacts/{contact.pk}/", {"name": "Back again"})
    assert response.status_code == 400
    assert contacts_of(alpha)[0].name == "Erased contact #1"


def test_another_organisations_contact_is_not_found(alpha, bravo, api):
    theirs = ContactFactory(customer__organization=bravo.organization, name="Bravo Person")
    client = api(alpha, "owner")
    assert client.get(f"contacts/{theirs.pk}/").status_code == 404
    assert client.patch(f"contacts/{theirs.pk}/", {"name": "Mine"}).status_code == 404
    assert contacts_of(bravo)[0].name == "Bravo Person"


def test_an_auditor_cannot_write(alpha, api, acme):
    contact = ContactFactory(customer=acme, name="Ann")
    client = api(alpha, "auditor")
    assert client.post("contacts/", {"customer": acme.pk, "name": "New"}).status_code == 403
    assert client.patch(f"contacts/{contact.pk}/", {"name": "Changed"}).status_code == 403
    assert [c.name for c in contacts_of(alpha)] == ["Ann"]
