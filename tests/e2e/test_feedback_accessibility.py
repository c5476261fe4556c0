"""Axe (axe-core 4.12, bundled by axe-playwright-python) in Debian's chromium on every HTML page a member, an
anonymous customer or a signed-out person reaches: no WCAG 2.0/2.1 A or AA violation. A new page joins PAGES."""

import re

import pytest
from playwright.sync_api import expect

from .accessibility import violations
from .pages import PAGES, SIGNED_OUT_PAGES, records  # noqa: F401 - the shared pages, and the fixture they need
from .test_sign_in_and_invite import sign_in

pytestmark = pytest.mark.browser


def test_every_member_page_has_no_wcag_violations(live_server, page, alpha, records):  # noqa: F811 - the fixture
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
    expect(page.get_by_role("alert")).to_be_visible()
    report = violations(page)
    assert not report, f"the public form with its errors\n{report}"
