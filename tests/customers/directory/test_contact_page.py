"""A contact's own page: how to reach them, their consent, the customer they belong to, and the panels the other
apps declare (their feedback, whichever customer it was recorded for); everyone reads it, only writers act."""

from customers.models import Contact
from tests.factories import ContactFactory, CustomerFactory, FeedbackItemFactory

from .conftest import url


def _people(tenant):
    with tenant.context():
        customer = CustomerFactory(organization=tenant.organization, name="Northwind Components")
        ada = ContactFactory(
            customer=customer, name="Ada Lovelace", email="ada@northwind.example", consent=Contact.Consent.GRANTED
        )
        bob = ContactFactory(customer=customer, name="Bob Byte", email="bob@northwind.example")
        mine = FeedbackItemFactory(organization=tenant.organization, customer=customer, contact=ada, text="Valve leak")
        FeedbackItemFactory(organization=tenant.organization, customer=customer, contact=bob, text="Late delivery")
    return customer, ada, mine


def test_a_contact_page_shows_the_person_their_customer_and_their_feedback_only(alpha, login):
    customer, ada, mine = _people(alpha)
    page = login(alpha.auditor).get(url("contact_detail", alpha, contact_id=ada.pk)).content.decode()
    assert "Ada Lovelace" in page and "ada@northwind.example" in page and "Consented" in page
    assert url("customer_detail", alpha, customer_id=customer.pk) in page  # the customer is a link
    assert mine.reference in page and "Late delivery" not in page  # Bob's item is Bob's
    assert f"?contact={ada.pk}" in page and "All of Ada Lovelace’s feedback in the inbox" in page
    assert "Erase" not in page and url("contact_edit", alpha, contact_id=ada.pk) not in page  # auditors read


def test_writers_see_the_actions_and_the_customer_page_links_each_contact(alpha, login):
    customer, ada, _ = _people(alpha)
    page = login(alpha.manager).get(url("contact_detail", alpha, contact_id=ada.pk)).content.decode()
    for action in ("contact_edit", "contact_export", "contact_erase"):
        assert url(action, alpha, contact_id=ada.pk) in page
    customer_page = login(alpha.staff).get(url("customer_detail", alpha, customer_id=customer.pk)).content.decode()
    assert url("contact_detail", alpha, contact_id=ada.pk) in customer_page


def test_the_inbox_filters_by_contact_as_the_panel_links_it(alpha, login):
    _, ada, mine = _people(alpha)
    page = login(alpha.manager).get(f"/o/alpha/feedback/?contact={ada.pk}").content.decode()
    assert mine.reference in page and "Late delivery" not in page


def test_saving_a_contact_returns_to_its_page(alpha, login):
    _, ada, _ = _people(alpha)
    form = {"name": "Ada King", "email": ada.email, "phone": "", "preferred_language": "en", "consent": "granted"}
    response = login(alpha.manager).post(url("contact_edit", alpha, contact_id=ada.pk), form)
    assert response.status_code == 302 and response["Location"] == url("contact_detail", alpha, contact_id=ada.pk)
