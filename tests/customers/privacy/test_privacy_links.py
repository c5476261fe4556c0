"""People who may export or erase a contact's data find the actions on the customer's page; others do not."""

import pytest

from tests.factories import ContactFactory, CustomerFactory


@pytest.fixture
def contact(alpha):
    return ContactFactory(customer=CustomerFactory(organization=alpha.organization), name="Ada Lovelace")


def _page(client, alpha, contact):
    return client.get(f"/o/alpha/customers/{contact.customer_id}/").content.decode()


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_owners_and_managers_see_export_and_erase_for_each_contact(alpha, login, contact, role):
    page = _page(login(alpha.member(role)), alpha, contact)
    assert f"/o/alpha/contacts/{contact.pk}/export.json" in page
    assert f"/o/alpha/contacts/{contact.pk}/erase/" in page


@pytest.mark.parametrize("role", ["staff", "auditor"])
def test_staff_and_auditors_do_not_see_the_privacy_actions(alpha, login, contact, role):
    page = _page(login(alpha.member(role)), alpha, contact)
    assert "Ada Lovelace" in page
    assert "export.json" not in page and "/erase/" not in page


def test_the_settings_page_shows_the_public_feedback_form_address(alpha, login):
    page = login(alpha.owner).get("/o/alpha/settings/").content.decode()
    assert "http://testserver/p/alpha/feedback/" in page
