"""Inbox search finds an item by its contact's name, as its From column shows it ("Tariq" finds Tariq Patel's item),
on both databases; on PostgreSQL the stored document follows a renamed or erased contact, and the API's ?q= too."""

import pytest
from django.urls import reverse

from tests.conftest import IS_POSTGRES
from tests.factories import ContactFactory, CustomerFactory

from .shortcuts import erase_contact, make_item, url

STORED = pytest.mark.skipif(not IS_POSTGRES, reason="the stored search document is PostgreSQL's (triggers, GIN index)")


def _refs(response) -> list[str]:
    assert response.status_code == 200
    return sorted(item.reference for item in response.context["page"].object_list)


@pytest.fixture
def inbox(alpha, login):
    client = login(alpha.manager)
    return lambda **params: client.get(url(alpha, "inbox"), params)


@pytest.fixture
def tariq(alpha):
    customer = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc")
    return ContactFactory(customer=customer, name="Tariq Patel", email="tariq@hydro.example")


def test_search_finds_an_item_by_its_contact_s_name(alpha, tariq, inbox):
    make_item(alpha, reference="F-2026-0001", text="The valve leaked", customer=tariq.customer, contact=tariq)
    make_item(alpha, reference="F-2026-0002", text="Invoice late")
    assert _refs(inbox(q="Tariq")) == ["F-2026-0001"]
    assert _refs(inbox(q="tariq patel")) == ["F-2026-0001"]
    assert _refs(inbox(q="Patel valve")) == ["F-2026-0001"]
    assert _refs(inbox(q="hydro")) == ["F-2026-0001"]


def test_the_api_search_finds_it_too(alpha, tariq, api):
    make_item(alpha, reference="F-2026-0001", text="The valve leaked", contact=tariq, customer=tariq.customer)
    response = api(alpha, "auditor").get("feedback/", {"q": "Tariq"})
    assert [row["reference"] for row in response.json()["results"]] == ["F-2026-0001"]


def test_another_organisation_s_contact_of_that_name_is_not_found(alpha, bravo, inbox):
    theirs = ContactFactory(customer=CustomerFactory(organization=bravo.organization), name="Tariq Patel")
    make_item(bravo, reference="F-2026-0009", text="Theirs", contact=theirs)
    assert _refs(inbox(q="Tariq")) == []


@STORED
def test_a_renamed_contact_is_found_by_the_new_name_only(alpha, tariq, login, inbox):
    make_item(alpha, reference="F-2026-0001", text="The valve leaked", contact=tariq, customer=tariq.customer)
    response = login(alpha.manager).post(
        reverse("customers:contact_edit", kwargs={"org_slug": alpha.slug, "contact_id": tariq.pk}),
        {"name": "Tariq Rahman", "email": tariq.email, "phone": tariq.phone, "preferred_language": "en",
         "consent": tariq.consent},
    )  # fmt: skip
    assert response.status_code == 302
    assert _refs(inbox(q="Rahman")) == ["F-2026-0001"]
    assert _refs(inbox(q="Patel")) == []


def test_an_erased_contact_s_item_is_no_longer_found_by_the_old_name(alpha, tariq, login, inbox):
    make_item(alpha, reference="F-2026-0001", text="The valve leaked", contact=tariq, customer=tariq.customer)
    assert _refs(inbox(q="Tariq")) == ["F-2026-0001"]
    erase_contact(login(alpha.owner), alpha, tariq)
    assert _refs(inbox(q="Tariq")) == []
    assert _refs(inbox(q="Patel")) == []
    assert _refs(inbox(q="valve")) == ["F-2026-0001"]
