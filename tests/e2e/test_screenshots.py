"""The README's screenshots, taken from a demo organisation in Debian's chromium at 1366 x 900: the inbox and an
item's page, and the dashboard. Skipped unless CLOSELOOP_SCREENSHOTS names the folder to write them to:

    CLOSELOOP_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest tests/e2e/test_screenshots.py
"""

import os
import re
from pathlib import Path

import pytest

from feedback.models import FeedbackItem
from qms.modules import demo_seeders
from qms.tenancy.context import organization_context

from .test_sign_in_and_invite import sign_in

pytestmark = pytest.mark.browser

FOLDER = os.environ.get("CLOSELOOP_SCREENSHOTS", "")
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture
def demo(alpha):
    for seeder in demo_seeders():
        with organization_context(alpha.organization):
            seeder(organization=alpha.organization)
    return alpha


@pytest.mark.skipif(not FOLDER, reason="set CLOSELOOP_SCREENSHOTS to the folder the screenshots go to")
def test_the_readme_screenshots_show_the_dashboard_the_inbox_and_an_item(live_server, browser, demo):
    folder = Path(FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    sign_in(page, live_server.url, demo.manager.email)
    page.wait_for_url(re.compile(r"/o/alpha/$"))
    page.screenshot(path=folder / "dashboard.png")
    page.goto(f"{live_server.url}/o/alpha/feedback/")
    page.screenshot(path=folder / "inbox.png")
    with demo.context():
        item = FeedbackItem.objects.filter(organization=demo.organization, status="in_progress").order_by("pk").first()
    page.goto(f"{live_server.url}/o/alpha/feedback/{item.pk}/")
    page.screenshot(path=folder / "item.png")
    context.close()
