"""Every page in Debian's chromium at a laptop's 1366 x 900 and a phone's 390 x 844: nothing wider than the screen,
no WCAG 2.1 AA violation (axe), and no developer text in what a person reads (document.body.innerText, leaving out
code, kbd and .mono, which show what a person types, such as a file's column names): no snake_case identifier,
dotted model label, raw timestamp or `manage.py` instruction. Each error page a person can reach (403, 404, 410,
429 and the 500 of a failing route) is the styled one. The pages are those of tests/e2e/pages.py."""

import re
from datetime import timedelta
from functools import cache

import polib
import pytest
from django.apps import apps
from django.utils import timezone

from qms.accounts.models import User
from tests.factories import InvitationFactory
from tests.i18n.catalogues import AREAS

from .accessibility import violations
from .pages import PAGES, SIGNED_OUT_PAGES, records  # noqa: F401 - the shared pages, and the fixture they need
from .test_sign_in_and_invite import sign_in

pytestmark = pytest.mark.browser

VIEWPORTS = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
SIGNED_IN_PAGES = ("/", "/accounts/two-factor/", "/accounts/preferences/")
VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("code, kbd, .mono, script, template").forEach((element) => element.remove());
  body.querySelectorAll(".visually-hidden").forEach((element) => element.remove());
  // what a page declares to be in another language (a survey's own questions, written in its language)
  const language = document.documentElement.lang.slice(0, 2);
  body.querySelectorAll("[lang]").forEach((element) => {
    if (element.lang.slice(0, 2) !== language) element.remove();
  });
  document.documentElement.appendChild(body);  // innerText needs the clone laid out
  body.hidden = false;
  const text = body.innerText;
  body.remove();
  return text;
}"""
SNAKE_CASE = re.compile(r"\b[a-z]+_[a-z_]+\b")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}|\+00:00")
OBJECT_REPR = re.compile(r"\b[A-Z][A-Za-z]+ object \(\d+\)")


def _model_label() -> re.Pattern:
    """Every installed model's label as Django spells it ("feedback.feedbackitem", "auth.user")."""
    labels = sorted((model._meta.label_lower for model in apps.get_models()), key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(label) for label in labels) + r")\b", re.IGNORECASE)


def developer_text(text: str) -> list[str]:
    found = [*SNAKE_CASE.findall(text), *_model_label().findall(text), *TIMESTAMP.findall(text)]
    found += OBJECT_REPR.findall(text) + (["manage.py"] if "manage.py" in text else [])
    return sorted(set(found))


def problems(page) -> list[str]:
    found = []
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if width > inner:
        found.append(f"{width} px wide on a {inner} px screen")
    if words := developer_text(page.evaluate(VISIBLE_TEXT)):
        found.append(f"developer text: {', '.join(words)}")
    if report := violations(page):
        found.append(report)
    return found


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def screen(request, browser):
    context = browser.new_context(viewport=VIEWPORTS[request.param])
    yield context.new_page()
    context.close()


def _sweep(page, urls: list[str], also=lambda page: []) -> dict[str, list[str]]:
    found = {}
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        if issues := problems(page) + also(page):
            found[url] = issues
    return found


def _report(found: dict[str, list[str]]) -> str:
    return "\n\n".join(f"== {url}\n" + "\n".join(issues) for url, issues in found.items())


def test_every_member_page_fits_the_screen_passes_axe_and_reads_as_words(live_server, screen, alpha, records):  # noqa: F811
    sign_in(screen, live_server.url, alpha.owner.email)
    screen.wait_for_url(re.compile(r"/o/alpha/$"))
    urls = [f"{live_server.url}{path}" for path in SIGNED_IN_PAGES]
    urls += [f"{live_server.url}/o/alpha/{path.format(**records)}" for path in PAGES]
    found = _sweep(screen, urls)
    assert not found, _report(found)


@cache
def _english_sentences() -> tuple[str, ...]:
    """The catalogues' English sentences that German says otherwise (long enough to be unmistakable, without a
    placeholder): one of them on a German page is a string left untranslated."""
    found = set()
    for area in AREAS:
        for entry in polib.pofile(str(area.catalogue("de"))):
            english = entry.msgid
            if (
                len(english) >= 24
                and entry.msgstr
                and entry.msgstr != english
                and "%(" not in english
                and "<" not in english
            ):
                found.add(english)
    return tuple(sorted(found))


def test_every_member_page_reads_in_german_for_a_german_speaking_member(live_server, screen, alpha, records):  # noqa: F811
    """The same pages for an owner whose language is German: still no overflow (German words are longer), no axe
    violation, no developer text, the page in German and no English sentence of the catalogues left on it."""
    User.objects.filter(pk=alpha.owner.pk).update(language="de")
    sign_in(screen, live_server.url, alpha.owner.email)
    screen.wait_for_url(re.compile(r"/o/alpha/$"))
    urls = [f"{live_server.url}{path}" for path in SIGNED_IN_PAGES]
    urls += [f"{live_server.url}/o/alpha/{path.format(**records)}" for path in PAGES]
    found = _sweep(screen, urls, also=_in_german)
    assert not found, _report(found)


GERMAN_PARTS = """() => Array.from(document.querySelectorAll('body [lang="de"]')).map((e) => e.innerText).join("\\n")"""


def _in_german(page) -> list[str]:
    if page.evaluate("document.body.classList.contains('public-page')"):
        # the customer's own page shown to a member (a survey's preview): in the survey's language, with the
        # member's words (what the preview is, the way back) marked German
        text = page.evaluate(GERMAN_PARTS)
        issues = [] if text.strip() else ["nothing in German"]
        return issues + [f"English left: {english!r}" for english in _english_sentences() if english in text]
    issues = [] if page.evaluate("document.documentElement.lang") == "de" else ["not in German"]
    text = page.evaluate(VISIBLE_TEXT)
    if "/customers/import/" in page.url:  # an import's row errors are stored in the uploader's language
        text = page.evaluate("""() => { const main = document.querySelector("main").cloneNode(true);
            main.querySelectorAll("table").forEach((table) => table.remove()); return main.innerText; }""")
    return issues + [f"English left: {english!r}" for english in _english_sentences() if english in text]


def test_every_signed_out_and_public_page_fits_passes_axe_and_reads_as_words(live_server, screen, alpha):
    found = _sweep(screen, [f"{live_server.url}{path}" for path in SIGNED_OUT_PAGES])
    screen.get_by_role("button", name=re.compile("Send")).click()  # the public form with its error summary
    screen.get_by_role("alert").wait_for()
    if issues := problems(screen):
        found["the public form with its errors"] = issues
    assert not found, _report(found)


def _styled_here(page) -> list[str]:
    issues = [] if page.locator("main.error-page h1").is_visible() else ["not the styled error page"]
    if not page.locator("main.error-page .error-actions a").count():
        issues.append("no way back")
    return issues + problems(page)


def _styled_error(page, url: str, status: int) -> list[str]:
    response = page.goto(url)
    return ([] if response.status == status else [f"answered {response.status}, not {status}"]) + _styled_here(page)


def _locked_out(page, base: str, email: str, attempts: int) -> list[str]:
    """Wrong passwords until sign-in is locked: the 429 page."""
    for _ in range(attempts):
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("not the password")
        with page.expect_navigation():
            page.get_by_label("Password").press("Enter")
    return _styled_here(page)


def test_every_error_page_a_person_reaches_is_the_styled_one(live_server, screen, alpha, settings):
    settings.ROOT_URLCONF = "tests.e2e.sweep_urls"
    with alpha.context():
        InvitationFactory(
            organization=alpha.organization, invited_by=alpha.owner, token="sweep-expired",
            valid_until=timezone.now() - timedelta(minutes=1),
        )  # fmt: skip
    base = live_server.url
    found = {
        "an unknown page (404)": _styled_error(screen, f"{base}/o/alpha/no-such-page/", 404),
        "an expired invitation (410)": _styled_error(screen, f"{base}/i/sweep-expired/", 410),
        "the sign-in lockout (429)": _locked_out(screen, base, alpha.staff.email, settings.AXES_FAILURE_LIMIT),
    }
    sign_in(screen, base, alpha.auditor.email)
    screen.wait_for_url(re.compile(r"/o/alpha/$"))
    found["an auditor on a form (403)"] = _styled_error(screen, f"{base}/o/alpha/customers/new/", 403)
    found["a server error (500)"] = _styled_error(screen, f"{base}/test-only/server-error/", 500)
    found = {what: issues for what, issues in found.items() if issues}
    assert not found, _report(found)
