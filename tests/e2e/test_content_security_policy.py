"""Every kind of page under the Content-Security-Policy in Debian's chromium: the browser reports no violation.

A listener added before any page script (an init script, which the policy does not govern) collects the
`securitypolicyviolation` events of each page into `window.__csp`; the console's "Content Security Policy" messages
are collected too. Each page must also have been sent the policy, so that an absent header cannot pass."""

import re

import pytest

from customers.models import Customer, ImportJob
from tests.factories import ImportJobFactory

from .pages import PAGES, records  # noqa: F401 - every member page, and its records
from .test_sign_in_and_invite import sign_in

pytestmark = pytest.mark.browser

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__csp.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} at ${where}`);
});
"""
# Beside the member pages of the accessibility check (PAGES, under /o/alpha/): an import a worker is writing.
MORE_PAGES = ("customers/import/{importing}/",)
SIGNED_IN_PAGES = ("/", "/accounts/two-factor/", "/accounts/preferences/")


@pytest.fixture
def pages(alpha, records):  # noqa: F811 - the fixture imported above
    with alpha.context():
        Customer.objects.filter(pk=records["customer"]).update(notes="Prefers email.\nVisits in May.")
        importing = ImportJobFactory(
            organization=alpha.organization, created_by=alpha.manager, status=ImportJob.Status.IMPORTING,
            total_rows=40, processed_rows=10,
        )  # fmt: skip
    ids = {**records, "importing": importing.pk}
    return [path.format(**ids) for path in (*PAGES, *MORE_PAGES)], ids


@pytest.fixture
def watched(page):
    """The page, with every policy violation it reports collected into `page.csp_messages`."""
    page.csp_messages = []
    page.add_init_script(COLLECT_VIOLATIONS)
    page.on("console", lambda message: _note(page, message.text))
    page.on("pageerror", lambda error: _note(page, str(error)))
    return page


def _note(page, text: str) -> None:
    if "Content Security Policy" in text or "Content-Security-Policy" in text:
        page.csp_messages.append(text)


def _visit(page, url: str, *, ready: str | None = None) -> list[str]:
    response = page.goto(url)
    assert response.status == 200, url
    assert "default-src 'self'" in (response.header_value("content-security-policy") or ""), f"{url}: no policy"
    if ready:
        page.locator(ready).first.wait_for(timeout=15_000)
    page.wait_for_load_state("networkidle")
    found = page.evaluate("window.__csp") + page.csp_messages
    page.csp_messages = []
    return found


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{url}:\n  " + "\n  ".join(messages) for url, messages in found.items())


def test_no_member_page_logs_a_policy_violation(live_server, watched, alpha, pages):
    sign_in(watched, live_server.url, alpha.owner.email)  # the owner reaches every page
    watched.wait_for_url(re.compile(r"/o/alpha/$"))
    paths, _ = pages
    urls = [
        *(f"{live_server.url}{path}" for path in SIGNED_IN_PAGES),
        *(f"{live_server.url}/o/alpha/{p}" for p in paths),
    ]
    found = {url: messages for url in urls if (messages := _visit(watched, url))}
    assert not found, _report(found)


def test_the_import_progress_is_a_progress_element_htmx_keeps_refreshing(live_server, watched, alpha, pages):
    sign_in(watched, live_server.url, alpha.manager.email)
    watched.wait_for_url(re.compile(r"/o/alpha/$"))
    url = f"{live_server.url}/o/alpha/customers/import/{pages[1]['importing']}/"
    assert _visit(watched, url) == []
    bar = watched.get_by_role("progressbar", name="Rows imported")
    assert bar.evaluate("element => [element.tagName, element.value, element.max]") == ["PROGRESS", 25, 100]
    with watched.expect_response(re.compile(r"/progress/")):  # htmx's poll, with its indicator styles ours
        pass
    assert watched.evaluate("window.__csp") + watched.csp_messages == []


def test_the_api_docs_render_under_the_policy(live_server, watched):
    found = _visit(watched, f"{live_server.url}/api/docs/", ready="#swagger-ui .info .title")
    assert not found, "\n".join(found)
    assert "Closeloop API" in watched.locator("#swagger-ui .info .title").inner_text()


def test_no_signed_out_or_public_page_logs_a_policy_violation(live_server, watched, alpha):
    pages = ("/accounts/login/", "/accounts/password/reset/", "/p/alpha/feedback/")
    found = {path: messages for path in pages if (messages := _visit(watched, f"{live_server.url}{path}"))}
    watched.get_by_role("button", name=re.compile("Send")).click()  # the public form, with its error summary
    watched.get_by_role("alert").wait_for()
    if messages := watched.evaluate("window.__csp") + watched.csp_messages:
        found["the public form with its errors"] = messages
    assert not found, _report(found)


def test_the_local_mailbox_shows_an_emails_own_styles_in_a_frame_that_runs_nothing(
    live_server, watched, delivered_invitation, mailbox
):
    (eml,) = mailbox.glob("*.eml")
    assert _visit(watched, f"{live_server.url}/dev/mailbox/{eml.name}/", ready="iframe.mail-html") == []
    email = watched.frame_locator("iframe.mail-html").locator("body")
    email.get_by_role("link").first.wait_for()
    assert email.evaluate("body => getComputedStyle(body).backgroundColor") == "rgb(246, 247, 249)"
    (frame,) = [frame for frame in watched.frames if frame.url.endswith("/html")]
    assert frame.evaluate("window.__csp") == []
