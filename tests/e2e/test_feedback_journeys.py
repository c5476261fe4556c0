"""The feedback module's journeys in a real browser (Debian's chromium): a customer sends feedback with
JavaScript off, a manager imports a directory while a real Celery worker checks and writes it and the page
follows its progress by itself, and a manager triages an item with the keyboard alone."""

import csv
import io
import re

import pytest
from playwright.sync_api import expect

import feedback.forms.public
from customers.models import Contact, ImportJob
from feedback.models import FeedbackItem
from tests.factories import ContactFactory, CustomerFactory, FeedbackItemFactory
from tests.outbox.conftest import running_worker

from .test_sign_in_and_invite import sign_in

pytestmark = pytest.mark.browser


def test_a_customer_sends_feedback_with_javascript_off_and_gets_a_reference(live_server, browser, alpha, monkeypatch):
    monkeypatch.setattr(feedback.forms.public, "MIN_FILL_SECONDS", 0)  # a person would take a few seconds
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/p/alpha/feedback/")
        expect(page.get_by_role("heading", name=re.compile("Alpha Instruments"))).to_be_visible()
        page.get_by_label("Complaint — something went wrong").check()
        page.get_by_label("Your message").fill("The <b>gauge</b> arrived cracked.")
        page.get_by_label("Your name").fill("Grace Hopper")
        page.get_by_role("button", name="Send feedback").click()

        expect(page.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
        with alpha.context():
            item = FeedbackItem.objects.get(organization=alpha.organization)
        expect(page.get_by_text(item.reference).first).to_be_visible()
        assert (item.channel, item.kind, item.submitter_name) == ("web_form", "complaint", "Grace Hopper")
        assert item.text == "The <b>gauge</b> arrived cracked."  # kept as typed; escaped wherever it is shown
    finally:
        context.close()


def _directory_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["customer_name", "external_ref", "contact_name", "contact_email"])
    for n in range(30):
        writer.writerow([f"Customer {n // 3}", f"C-{n // 3}", f"Person {n}", f"person{n}@example.org"])
    writer.writerow(["", "C-99", "Nobody", "nobody@example.org"])  # row 32: no customer name
    return buffer.getvalue().encode()


@pytest.mark.redis
def test_a_manager_imports_a_directory_and_the_page_follows_the_worker(live_server, page, alpha, broker):
    sign_in(page, live_server.url, alpha.manager.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    with running_worker(broker):
        page.goto(f"{live_server.url}/o/alpha/customers/import/")
        page.get_by_label("CSV or Excel file").set_input_files(
            {"name": "crm.csv", "mimeType": "text/csv", "buffer": _directory_csv()}
        )
        page.get_by_role("button", name="Upload and check").click()
        page.wait_for_url(re.compile(r"/customers/import/\d+/$"))
        # No reload by hand: htmx polls the status box and refreshes the page once the worker is done.
        page.get_by_role("heading", name="Import these rows").wait_for(timeout=20_000)
        expect(page.get_by_text("A customer name is required.")).to_be_visible()
        page.get_by_label("Import the valid rows, skip the others").check()
        page.get_by_role("button", name="Import", exact=True).click()
        page.get_by_role("heading", name="What was written").wait_for(timeout=20_000)

    summary = page.get_by_role("table", name="Import summary")
    assert summary.get_by_role("row", name=re.compile("Contacts")).inner_text().split()[1:] == ["30", "0", "0"]
    expect(page.get_by_text("1 row with errors skipped.")).to_be_visible()
    with alpha.context():
        job = ImportJob.objects.get(organization=alpha.organization)
        assert job.status == ImportJob.Status.DONE
        assert Contact.objects.filter(organization=alpha.organization).count() == 30


def test_a_manager_triages_an_item_with_the_keyboard(live_server, page, alpha):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc")
        item = FeedbackItemFactory(
            organization=alpha.organization, customer=customer, text="The valve leaked.",
            contact=ContactFactory(customer=customer),
        )  # fmt: skip
    sign_in(page, live_server.url, alpha.manager.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    page.goto(f"{live_server.url}/o/alpha/feedback/")

    page.get_by_role("link", name=item.reference).focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/feedback/{item.pk}/$"))

    page.evaluate("window.notReloaded = true")  # gone if any step below loaded the page anew

    staff = f"{alpha.staff.get_full_name() or alpha.staff.email} (Staff)"
    page.keyboard.press("a")  # the shortcut focuses the assignee
    assert page.evaluate("document.activeElement.name") == "assignee"
    page.keyboard.type(staff)  # type-ahead on the focused list picks the option
    assert page.get_by_label("Assignee").evaluate("select => select.selectedOptions[0].text") == staff
    page.keyboard.press("Escape")
    page.keyboard.press("s")
    assert page.evaluate("document.activeElement.name") == "sentiment"
    page.keyboard.type("Negative")
    page.keyboard.press("Control+Enter")  # one save for the whole panel, in place
    page.get_by_role("alert").filter(has_text=f"Saved {item.reference}: assigned to").wait_for()
    assert page.get_by_role("alert").inner_text().strip().endswith("sentiment negative.")
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("document.activeElement.name") == "sentiment"  # focus stays where it was

    page.keyboard.press("Escape")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    assert "Closing note" in dialog.inner_text()
    page.keyboard.press("Escape")

    page.keyboard.press("c")
    page.keyboard.type("Replaced the valve under warranty.")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == f"Close {item.reference}"
    page.keyboard.press("Enter")
    page.get_by_role("button", name=f"Reopen {item.reference}").wait_for()
    assert page.evaluate("window.notReloaded") is True

    timeline = page.get_by_role("region", name="Timeline")
    told = [" ".join(t.split()).split(" · ")[0] for t in timeline.locator(".timeline-sentence").all_inner_texts()]
    manager = alpha.manager.get_full_name()
    assert told == [  # oldest first, as sentences
        f"{manager} assigned it to {alpha.staff.get_full_name()}",
        f"{manager} marked it as Negative",
        f"{manager} closed it",
    ]
    with alpha.context():
        item = FeedbackItem.objects.get(pk=item.pk)
    assert (item.status, item.assignee, item.closing_note) == (
        "closed",
        alpha.staff,
        "Replaced the valve under warranty.",
    )
