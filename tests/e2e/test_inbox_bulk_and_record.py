"""In a real browser: a manager closes a page of the inbox with the keyboard through the bulk bar, and recording
feedback narrows the contacts to the chosen customer as soon as it is chosen (htmx), with no button pressed."""

import re

import pytest
from playwright.sync_api import expect

from feedback.models import FeedbackItem
from tests.factories import ContactFactory, CustomerFactory, FeedbackItemFactory

from .test_sign_in_and_invite import sign_in

pytestmark = pytest.mark.browser


def test_a_manager_selects_a_page_and_closes_it_with_the_keyboard(live_server, page, alpha):
    with alpha.context():
        items = [FeedbackItemFactory(organization=alpha.organization, text=f"Leak {n}") for n in range(3)]
    sign_in(page, live_server.url, alpha.manager.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    page.goto(f"{live_server.url}/o/alpha/feedback/")

    select_all = page.get_by_label("Select all on this page")
    select_all.focus()
    page.keyboard.press("Space")
    assert all(page.get_by_label(f"Select {item.reference}").is_checked() for item in items)
    expect(page.get_by_text("3 items selected")).to_be_visible()
    page.get_by_label(f"Select {items[0].reference}").uncheck()
    assert select_all.evaluate("box => box.indeterminate")

    page.get_by_label("Action").focus()
    page.keyboard.type("Close")
    page.get_by_label("Closing note").focus()
    page.keyboard.type("Fixed in the March release.")
    page.get_by_role("button", name="Apply").focus()
    page.keyboard.press("Enter")
    page.get_by_role("alert").filter(has_text="2 items closed.").wait_for()

    with alpha.context():
        statuses = [FeedbackItem.objects.get(pk=item.pk).status for item in items]
    assert statuses == ["new", "closed", "closed"]


def test_choosing_a_customer_narrows_the_contacts_in_place(live_server, page, alpha):
    with alpha.context():
        hydro = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc")
        valves = CustomerFactory(organization=alpha.organization, name="Valve Works")
    ContactFactory(customer=hydro, name="Ada Pumpwright")
    ContactFactory(customer=valves, name="Vic Valve")
    sign_in(page, live_server.url, alpha.staff.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    page.goto(f"{live_server.url}/o/alpha/feedback/new/")
    page.get_by_label("What the customer said").fill("The housing cracked.")

    page.get_by_label("Customer", exact=True).select_option(label="Valve Works")
    contact = page.get_by_label("Contact", exact=True)
    page.get_by_text("The contacts of Valve Works.").wait_for()
    assert contact.evaluate("s => [...s.options].map(o => o.text)") == ["No contact on file", "Vic Valve (Valve Works)"]
    assert page.get_by_label("What the customer said").input_value() == "The housing cracked."
