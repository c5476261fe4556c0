"""Every response carries the strict Content-Security-Policy, and no page holds what it would refuse: no inline
script, no event-handler attribute, no <style> element, no style attribute. The browser's own verdict is
tests/e2e/test_content_security_policy.py; this one needs no browser and walks every organisation route."""

import re

import pytest

from tests.tenancy.test_isolation_sweep import ALL_ROUTES, ROUTES, case_for, populate, url_for

pytestmark = pytest.mark.django_db

POLICY = {
    "default-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "form-action": {"'self'"},
    "frame-ancestors": {"'none'"},
}
# Pages outside an organisation's routes, signed in as alpha's owner where it matters.
OTHER_PAGES = (
    "/",
    "/accounts/login/",
    "/accounts/password/reset/",
    "/accounts/two-factor/",
    "/p/alpha/feedback/",
    "/api/docs/",
    "/api/docs/?script=",
    "/api/schema/",
    "/healthz",
    "/no-such-page/",
    "/o/no-such-organisation/",
    "/api/v1/o/no-such-organisation/members/",
)
GET_ROUTES = [name for name in ALL_ROUTES if "GET" in case_for(name).methods]
# A file a customer attached is served under a stricter policy of its own: nothing runs, nothing loads.
OWN_POLICY = {"feedback:attachment_download": {"default-src": {"'none'"}, "sandbox": set()}}

TAG = re.compile(r"<[a-zA-Z][^>]*>")
INLINE = (
    ("an inline script", re.compile(r"<script\b(?![^>]*\bsrc=)", re.IGNORECASE)),
    ("a <style> element", re.compile(r"<style\b", re.IGNORECASE)),
    ("a style attribute", re.compile(r"\sstyle\s*=", re.IGNORECASE)),
    ("an event-handler attribute", re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)),
    ("a javascript: URL", re.compile(r"=\s*[\"']?\s*javascript:", re.IGNORECASE)),
)


def policy_of(response) -> dict[str, set[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: set(sources) for name, *sources in directives}


def inline_code(response) -> list[str]:
    """What in an HTML response the policy would refuse, each with the tag it sits in."""
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    html = response.content.decode()
    found = [f"{what}: {tag}" for tag in TAG.findall(html) for what, pattern in INLINE[2:] if pattern.search(tag)]
    return found + [what for what, pattern in INLINE[:2] if pattern.search(html)]


@pytest.fixture
def world(alpha):
    return populate(alpha)


@pytest.fixture
def owner_client(world, login):
    return login(world.tenant.owner)


@pytest.mark.parametrize("name", GET_ROUTES)
def test_every_organisation_page_and_endpoint_sends_the_policy_and_nothing_inline(name, world, owner_client):
    response = owner_client.get(url_for(name, slug=world.slug, objects=world))
    expected = 302 if case_for(name).redirects else 200
    assert response.status_code == expected, f"{ROUTES[name].route}: {response.status_code}"
    assert policy_of(response) == OWN_POLICY.get(name, POLICY), ROUTES[name].route
    assert inline_code(response) == [], ROUTES[name].route


@pytest.mark.parametrize("path", OTHER_PAGES)
def test_every_other_page_sends_the_policy_and_nothing_inline(path, owner_client):
    response = owner_client.get(path)
    assert response.status_code < 500, path
    assert policy_of(response) == POLICY, path
    assert inline_code(response) == [], path


def test_signed_out_pages_send_the_policy(client, alpha):
    for path in ("/accounts/login/", "/p/alpha/feedback/", "/o/alpha/"):
        assert policy_of(client.get(path)) == POLICY, path


def test_the_policy_allows_no_inline_code_no_eval_and_no_framing(client, db):
    header = client.get("/accounts/login/").headers["Content-Security-Policy"]
    for word in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "nonce-", "sha256-", "*"):
        assert word not in header
    assert client.get("/accounts/login/").headers["X-Frame-Options"] == "DENY"


def test_the_api_docs_load_their_init_script_as_a_file(client, db):
    page = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"", page)
    assert "/api/docs/?script=" in scripts
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content
