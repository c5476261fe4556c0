"""Public links found by their token: a known token runs its view inside the token's organisation (row-level
security on PostgreSQL admits only its rows), an unknown one answers the unknown-link page, and an address that
guessed too often gets that same page for every link, valid or not, while other addresses are unaffected."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from qms import modules
from qms.audit.models import AuditEvent
from qms.tenancy.models import LinkMiss
from qms.tenancy.public_links import address_hash, new_token, token_hash
from tests.factories import InvitationFactory

GUESSER, OTHER = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def links(monkeypatch, settings):
    """A module's token link /x/<token>/, registered for the test alone."""
    settings.ROOT_URLCONF = "tests.tenancy.link_urls"
    settings.PUBLIC_LINK_MISSES_PER_HOUR = 3
    link = modules.TokenLink("x", "tests.tenancy.link_urls.organization_of")
    monkeypatch.setattr(modules, "token_links", lambda: [link])


@pytest.fixture
def tokens(alpha, bravo):
    """A valid token in each organisation."""
    found = {}
    for tenant in (alpha, bravo):
        with tenant.context():
            found[tenant.slug] = token = new_token()
            InvitationFactory(organization=tenant.organization, token=token)
    return found


def _get(token, ip=GUESSER, suffix=""):
    return Client(raise_request_exception=False).get(f"/x/{token}/{suffix}", REMOTE_ADDR=ip)


def test_a_token_is_22_url_safe_characters_and_its_hash_sha256_hex():
    token = new_token()
    assert len(token) == 22 and token.replace("-", "").replace("_", "").isalnum()
    assert len(token_hash(token)) == 64 and token_hash(token) == token_hash(token) != token_hash(new_token())


def test_a_known_token_runs_its_view_inside_its_own_organisation(links, tokens, alpha, bravo):
    for tenant in (alpha, bravo):
        answer = _get(tokens[tenant.slug])
        assert answer.status_code == 200
        pk = tenant.organization.pk
        assert answer.json() == {"organization": tenant.slug, "scoped": [pk], "database": [pk]}
    assert LinkMiss.objects.count() == 0


def test_an_unknown_token_answers_the_unknown_link_page_and_counts_a_miss(links, tokens):
    answer = _get("not-a-token-of-anyone")
    assert answer.status_code == 404
    assert "This link is not valid" in answer.content.decode()
    assert list(LinkMiss.objects.values_list("ip_hash", flat=True)) == [address_hash(GUESSER)]


def test_past_the_limit_a_valid_token_answers_the_unknown_page_and_other_addresses_are_unaffected(links, tokens):
    unknown = _get("guess-1")
    for n in range(2, 5):  # four misses: more than the three allowed
        assert _get(f"guess-{n}").status_code == 404
    blocked = _get(tokens["alpha"])
    assert blocked.status_code == 404
    assert blocked.content == unknown.content  # nothing tells the guesser that this one was right
    assert _get("guess-5").status_code == 404
    assert LinkMiss.objects.count() == 4  # a blocked address's requests are not even looked up (nor counted)

    assert _get(tokens["alpha"], ip=OTHER).status_code == 200


def test_misses_older_than_an_hour_no_longer_count_and_are_pruned(links, tokens):
    LinkMiss.objects.bulk_create(
        [LinkMiss(ip_hash=address_hash(GUESSER), created_at=timezone.now() - timedelta(minutes=61))] * 10
    )
    assert _get(tokens["alpha"]).status_code == 200
    assert _get("guess").status_code == 404
    assert LinkMiss.objects.count() == 1


def test_a_link_view_that_fails_keeps_none_of_its_writes(links, tokens, alpha):
    assert _get(tokens["alpha"], suffix="fail/").status_code == 500
    with alpha.context():
        assert not AuditEvent.objects.filter(action="link.half_done").exists()


def test_a_path_under_the_prefix_that_is_no_route_is_a_plain_404(links, tokens):
    assert Client().get("/x/").status_code == 404
    assert LinkMiss.objects.count() == 0
