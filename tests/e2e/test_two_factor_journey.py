"""Two-factor sign-in in Debian's chromium: an owner turns it on from the key the page shows, keeps the recovery
codes, signs out and in again with a code; every page of it passes axe (WCAG 2.1 AA)."""

import re

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from .accessibility import violations
from .test_sign_in_and_invite import sign_in

pytestmark = pytest.mark.browser


def _code_for(secret_text: str) -> str:
    from base64 import b32decode

    key = b32decode(secret_text.replace(" ", "") + "=" * (-len(secret_text.replace(" ", "")) % 8))
    return f"{TOTP(key).token():06d}"


def test_an_owner_turns_it_on_and_signs_in_with_a_code(live_server, page, alpha):
    sign_in(page, live_server.url, alpha.owner.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    page.locator("#user-menu").click()  # the person's menu in the top bar
    page.get_by_role("link", name="Two-factor sign-in").click()
    # Axe must read the new page, not the one the click is leaving: wait for its heading and its load.
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    assert not violations(page)
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert not violations(page), "the set-up page with its QR code"
    secret = page.locator("figcaption code").inner_text()
    page.get_by_role("textbox", name="Code").fill(_code_for(secret))
    page.get_by_role("textbox", name="Code").press("Enter")
    # The press submits the form: wait for the next page's codes, not what the set-up page holds before it goes.
    recovery = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(recovery).to_have_count(10)
    codes = recovery.all_inner_texts()
    assert not violations(page), "the recovery codes"

    page.locator("#user-menu").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server.url, alpha.owner.email)
    page.wait_for_url(re.compile(r"/accounts/login/code/"))
    assert not violations(page), "the code's page"
    page.get_by_role("textbox", name="Code").fill(codes[0])
    page.get_by_role("textbox", name="Code").press("Enter")
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    expect(page.get_by_role("heading", name="Alpha Instruments")).to_be_visible()
