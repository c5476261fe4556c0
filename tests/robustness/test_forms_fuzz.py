"""Bad input never makes a page fail: every organisation page, fed generated query strings (GET) and form bodies
(POST) by Hypothesis — text of any kind (NUL bytes, other scripts, thousands of characters), numbers no field
takes, impossible dates, repeated and unknown fields — answers with a status below 500, as its owner.

The routes, the objects they name and a valid body for each come from the isolation sweep's registry
(tests/tenancy/test_isolation_sweep.py), so a new page is fuzzed as soon as it is registered there."""

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tenancy.test_isolation_sweep import REGISTRY, ROUTES, populate

EXAMPLES = 30
NASTY = [
    "", " ", "0", "-1", "1.5", "1e309", "NaN", "99999999999999999999", "-99999999999999999999", "\x00", "a\x00b",
    "2026-02-30", "0000-00-00", "9999-12-31", "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --",
    "=cmd|' /C calc'!A0", "\ud7ff\ue000", "é" * 500, "x" * 5000, "[]", "{}", "null", "true", "%", "_", "\\",
]  # fmt: skip
QUERY_KEYS = [
    "q", "status", "kind", "channel", "customer", "assignee", "theme", "received_from", "received_to", "page",
    "per_page", "sort", "type", "actor", "since", "until", "segment", "region", "archived", "consent", "view",
]  # fmt: skip
values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=200),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
# Derandomized: the same examples every run, so a red run is a real regression, never bad luck; each NASTY
# value is also sent in every field at once before Hypothesis explores.
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
)

PAGES = sorted(name for name, route in ROUTES.items() if not route.is_api and "GET" in REGISTRY[name].methods)
FORMS = sorted(name for name, route in ROUTES.items() if not route.is_api and "POST" in REGISTRY[name].methods)


@pytest.fixture
def world(alpha, bravo):
    populate(bravo)  # another organisation's rows exist too: fuzzed ids may name them
    return populate(alpha)


def _url(world, name: str) -> str:
    case = REGISTRY[name]
    return reverse(name, kwargs={"org_slug": world.slug, **(case.target(world) if case.target else {})})


def _owner(world) -> Client:
    client = Client(raise_request_exception=True)
    client.force_login(world.tenant.owner)
    return client


@pytest.mark.parametrize("name", PAGES)
def test_no_query_string_makes_a_page_fail(world, name):
    client, url = _owner(world), _url(world, name)
    for value in NASTY:
        assert client.get(url, dict.fromkeys(QUERY_KEYS, value)).status_code < 500, (url, value)

    @FUZZ
    @given(query=st.lists(st.tuples(st.sampled_from(QUERY_KEYS), values), max_size=6))
    def probe(query):
        response = client.get(url, query)
        assert response.status_code < 500, (url, query)

    probe()


@pytest.mark.parametrize("name", FORMS)
def test_no_form_body_makes_a_write_fail(world, name):
    client, url = _owner(world), _url(world, name)
    fields = sorted(REGISTRY[name].form(world))
    for value in NASTY:
        assert client.post(url, dict.fromkeys([*fields, "unexpected"], value)).status_code < 500, (url, value)

    @FUZZ
    @given(
        body=st.dictionaries(st.sampled_from(fields + ["unexpected"]), st.lists(values, min_size=1, max_size=3)),
    )
    def probe(body):
        response = client.post(url, body)
        assert response.status_code < 500, (url, body)

    probe()


PUBLIC_FIELDS = [
    "kind",
    "message",
    "product",
    "name",
    "email",
    "send_confirmation",
    "may_contact",
    "started",
    "website",
]


def test_no_body_makes_the_public_feedback_form_fail(alpha, settings):
    settings.PUBLIC_FORM_RATE_LIMIT = 10**6  # the fuzzing comes from one address; the limit has its own tests
    client = Client(raise_request_exception=True)
    for value in NASTY:
        assert client.post("/p/alpha/feedback/", dict.fromkeys(PUBLIC_FIELDS, value)).status_code < 500, value

    @FUZZ
    @given(body=st.dictionaries(st.sampled_from(PUBLIC_FIELDS), st.lists(values, min_size=1, max_size=3)))
    def probe(body):
        response = client.post("/p/alpha/feedback/", body)
        assert response.status_code < 500, body

    probe()


def test_no_token_makes_the_public_confirmation_page_fail(alpha):
    client = Client(raise_request_exception=True)

    @FUZZ
    @given(token=st.one_of(st.sampled_from(NASTY), st.text(min_size=1, max_size=300)))
    def probe(token):
        response = client.get(f"/p/alpha/feedback/thanks/{quote(token, safe='')}/")
        assert response.status_code < 500, token

    probe()
