"""Axe (axe-core 4.12, bundled by axe-playwright-python) in Debian's chromium on every HTML page a member, an
anonymous customer or a signed-out person reaches: no WCAG 2.0/2.1 A or AA violation. A new page joins PAGES."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from customers.models import ImportJob
from qms.audit.models import AuditEvent
from qms.audit.services import audit_record
from qms.outbox.models import OutboxMessage
from qms.tenancy.models import Membership
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    FeedbackItemFactory,
    FeedbackThemeFactory,
    ImportJobFactory,
    MonitoringMethodFactory,
    OutboxMessageFactory,
)

from .test_sign_in_and_invite import sign_in

pytestmark = pytest.mark.browser

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

# Pages under /o/alpha/, formatted with the ids of the records made below.
PAGES = (
    "",
    "settings/",
    "settings/members/",
    "settings/members/{membership}/",
    "settings/email/",
    "settings/api-tokens/",
    "audit/",
    "audit/{event}/",
    "customers/",
    "customers/new/",
    "customers/{customer}/",
    "customers/{customer}/edit/",
    "customers/{customer}/contacts/new/",
    "contacts/{contact}/edit/",
    "contacts/{contact}/erase/",
    "customers/import/",
    "customers/import/{job}/",
    "feedback/",
    "feedback/?q=valve&status=open",
    "feedback/new/",
    "feedback/{item}/",
    "feedback/{item}/edit/",
    "methods/",
    "methods/new/",
    "methods/{method}/edit/",
)
SIGNED_OUT_PAGES = ("/accounts/login/", "/accounts/password/reset/", "/p/alpha/feedback/")


def violations(page) -> str:
    results = Axe().run(page, options=WCAG)
    return results.generate_report() if results.violations_count else ""


@pytest.fixture
def records(alpha):
    with alpha.context():
        customer = CustomerFactory(organization=alpha.organization, name="Hydro Pumps plc", segment="Industrial")
        contact = ContactFactory(customer=customer, name="Ada Lovelace", email="ada@hydro.example")
        item = FeedbackItemFactory(
            organization=alpha.organization, customer=customer, contact=contact, text="The valve leaked.",
            assignee=alpha.manager,
        )  # fmt: skip
        FeedbackThemeFactory(feedback=item, theme__name="Reliability")
        method = MonitoringMethodFactory(organization=alpha.organization, owner=alpha.manager)
        job = ImportJobFactory(
            organization=alpha.organization, created_by=alpha.manager, status=ImportJob.Status.PREVIEW,
            total_rows=3, valid_rows=2, error_rows=1,
            errors=[{"row": 4, "column": "customer_name", "message": "A customer name is required."}],
            summary={"columns": ["customer_name"], "preview": [{"row": 2, "cells": ["Acme"], "valid": True}]},
        )  # fmt: skip
        OutboxMessageFactory(organization=alpha.organization, state=OutboxMessage.State.FAILED, last_error="550 no")
        membership = Membership.objects.get(organization=alpha.organization, user=alpha.staff)
        audit_record(organization=alpha.organization, actor=alpha.owner, action="test.event", obj=customer)
        event = AuditEvent.objects.filter(organization=alpha.organization).latest("seq")
    return {
        "customer": customer.pk, "contact": contact.pk, "item": item.pk, "method": method.pk, "job": job.pk,
        "membership": membership.pk, "event": event.pk,
    }  # fmt: skip


def test_every_member_page_has_no_wcag_violations(live_server, page, alpha, records):
    sign_in(page, live_server.url, alpha.owner.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    found = {}
    for path in PAGES:
        url = f"{live_server.url}/o/alpha/{path.format(**records)}"
        response = page.goto(url)
        assert response.status == 200, url
        report = violations(page)
        if report:
            found[url] = report
    assert not found, "\n\n".join(f"== {url}\n{report}" for url, report in found.items())


def test_signed_out_pages_and_the_public_confirmation_have_no_wcag_violations(live_server, page, alpha):
    for path in SIGNED_OUT_PAGES:
        page.goto(f"{live_server.url}{path}")
        report = violations(page)
        assert not report, f"{path}\n{report}"
    page.goto(f"{live_server.url}/p/alpha/feedback/")
    page.get_by_role("button", name=re.compile("Send")).click()  # nothing filled in: the error summary
    assert page.get_by_role("alert").is_visible()
    report = violations(page)
    assert not report, f"the public form with its errors\n{report}"
