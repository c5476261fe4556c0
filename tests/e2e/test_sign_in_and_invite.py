"""A quality manager's first minutes, in a real browser: sign in, find the team page, invite a colleague."""

import re

import pytest
from playwright.sync_api import expect

from qms.outbox.models import OutboxMessage
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Password").press("Enter")


def test_an_owner_signs_in_with_the_keyboard_and_invites_a_colleague(live_server, page, alpha):
    sign_in(page, live_server.url, alpha.owner.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    expect(page.get_by_role("heading", name="Alpha Instruments")).to_be_visible()

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"

    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Members").click()
    invite = page.get_by_role("form", name="Invite someone")
    invite.get_by_label("Email").fill("new.colleague@alpha.test")
    invite.get_by_label("Role").select_option("manager")
    invite.get_by_role("button", name="Send invitation").click()

    expect(page.get_by_role("alert").filter(has_text="Invitation sent to new.colleague@alpha.test")).to_be_visible()
    expect(page.get_by_text("new.colleague@alpha.test · Manager")).to_be_visible()
    with alpha.context():
        message = OutboxMessage.objects.get(organization=alpha.organization, to_email="new.colleague@alpha.test")
    assert "/i/" in message.body_text


def test_a_wrong_password_is_refused_with_a_message(live_server, page, alpha):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(alpha.owner.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Please enter a correct email address and password")).to_be_visible()
    assert page.url.endswith("/accounts/login/")


def test_a_staff_member_does_not_see_settings_or_audit_trail(live_server, page, alpha):
    sign_in(page, live_server.url, alpha.staff.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    nav = page.get_by_role("navigation", name="Alpha Instruments")
    expect(nav.get_by_role("link", name="Dashboard")).to_be_visible()
    assert nav.get_by_role("link", name="Settings").count() == 0
    assert nav.get_by_role("link", name="Audit trail").count() == 0
