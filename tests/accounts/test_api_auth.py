"""Bearer-token authentication on the organisation API, the API documentation and the health endpoints."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qms.accounts.models import ApiToken
from qms.tenancy.models import Membership, Role
from qms.tenancy.services import membership_remove
from tests.factories import ApiTokenFactory, AuditEventFactory, MembershipFactory, OrganizationFactory

ALPHA_MEMBERS = "/api/v1/o/alpha/members/"
ALPHA_EVENTS = "/api/v1/o/alpha/audit-events/"


def bearer(key):
    return {"authorization": f"Bearer {key}"}


def get(url, key=None, **headers):
    if key is not None:
        headers.update(bearer(key))
    return Client().get(url, headers=headers)


def membership_of(tenant, user):
    with tenant.context():
        return Membership.objects.get(organization=tenant.organization, user=user)


def token_for(tenant, user, key):
    return ApiTokenFactory(membership=membership_of(tenant, user), key=key)


@pytest.fixture
def alpha_key(alpha):
    token_for(alpha, alpha.owner, "cl_alpha-owner-key")
    return "cl_alpha-owner-key"


@pytest.fixture
def events(alpha, bravo):
    """Audit events in both organisations; returns alpha's."""
    AuditEventFactory.create_batch(2, organization=bravo.organization, object_repr="Bravo secret thing")
    return AuditEventFactory.create_batch(3, organization=alpha.organization, object_repr="Alpha thing")


def test_a_bearer_token_lists_its_organisations_members(alpha, bravo, alpha_key):
    response = get(ALPHA_MEMBERS, alpha_key)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    emails = {row["email"] for row in response.json()["results"]}
    assert emails == {f"{role}@alpha.test" for role in Role.values}


def test_a_bearer_token_lists_its_organisations_audit_events(alpha, bravo, alpha_key, events):
    response = get(ALPHA_EVENTS, alpha_key)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["id"] for row in rows} == {event.pk for event in events}
    assert b"Bravo" not in response.content


def test_a_revoked_token_is_refused(alpha, alpha_key):
    with alpha.context():
        ApiToken.objects.filter(organization=alpha.organization).update(revoked_at=timezone.now())
    response = get(ALPHA_MEMBERS, alpha_key)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid or revoked token."


def test_an_unknown_token_is_refused(alpha, alpha_key):
    response = get(ALPHA_MEMBERS, "cl_not-a-token")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("header", ["Bearer", "Bearer two parts", "bearer   a b c"])
def test_a_malformed_authorization_header_is_refused_with_a_message(alpha, alpha_key, header):
    response = get(ALPHA_MEMBERS, authorization=header)
    assert response.status_code == 401
    assert "Malformed Authorization header" in response.json()["detail"]


@pytest.mark.parametrize(
    "path", ["/api/v1/o/bravo/members/", "/api/v1/o/bravo/audit-events/", "/api/v1/o/bravo/members/{member}/"]
)
def test_an_alpha_token_never_returns_bravo_data(alpha, bravo, alpha_key, events, path):
    url = path.format(member=membership_of(bravo, bravo.owner).pk)
    response = get(url, alpha_key)
    assert response.status_code in (401, 404)
    assert b"bravo" not in response.content.lower()


def test_a_removed_members_token_stops_working(alpha):
    token_for(alpha, alpha.manager, "cl_alpha-manager-key")
    assert get(ALPHA_MEMBERS, "cl_alpha-manager-key").status_code == 200
    with alpha.context():
        membership_remove(membership=membership_of(alpha, alpha.manager), actor=alpha.owner)
    assert get(ALPHA_MEMBERS, "cl_alpha-manager-key").status_code == 401


def test_a_token_stops_working_when_its_membership_ends_even_if_not_revoked(alpha):
    token = token_for(alpha, alpha.manager, "cl_alpha-manager-key")
    with alpha.context():
        Membership.objects.filter(pk=token.membership_id).update(removed_at=timezone.now())
    assert get(ALPHA_MEMBERS, "cl_alpha-manager-key").status_code == 401


def test_an_expired_auditors_token_stops_working(alpha):
    token = token_for(alpha, alpha.auditor, "cl_alpha-auditor-key")
    assert get(ALPHA_MEMBERS, "cl_alpha-auditor-key").status_code == 200
    with alpha.context():
        Membership.objects.filter(pk=token.membership_id).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = get(ALPHA_MEMBERS, "cl_alpha-auditor-key")
    assert response.status_code == 401


def test_a_deactivated_users_token_stops_working(alpha, alpha_key):
    alpha.owner.is_active = False
    alpha.owner.save(update_fields=["is_active"])
    assert get(ALPHA_MEMBERS, alpha_key).status_code == 401


def test_using_a_token_records_when_it_was_last_used(alpha, alpha_key):
    before = timezone.now()
    assert get(ALPHA_MEMBERS, alpha_key).status_code == 200
    with alpha.context():
        token = ApiToken.objects.get(organization=alpha.organization)
    assert token.last_used_at is not None
    assert before <= token.last_used_at <= timezone.now()


def test_a_token_used_long_ago_gets_a_fresh_last_used_at(alpha, alpha_key):
    long_ago = timezone.now() - timedelta(days=3)
    with alpha.context():
        ApiToken.objects.filter(organization=alpha.organization).update(last_used_at=long_ago)
    get(ALPHA_MEMBERS, alpha_key)
    with alpha.context():
        assert ApiToken.objects.get(organization=alpha.organization).last_used_at > long_ago + timedelta(days=2)


def test_the_members_endpoint_uses_a_constant_number_of_queries(db):
    organization = OrganizationFactory(slug="gamma", name="Gamma")
    owner = MembershipFactory(organization=organization, role=Role.OWNER)
    MembershipFactory.create_batch(2, organization=organization)
    ApiTokenFactory(membership=owner, key="cl_gamma-key", last_used_at=timezone.now())

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            response = get("/api/v1/o/gamma/members/", "cl_gamma-key")
        assert response.status_code == 200
        return len(queries), response.json()["count"]

    few, members = count_queries()
    assert members == 3
    MembershipFactory.create_batch(27, organization=organization)
    many, members = count_queries()
    assert members == 30
    assert many == few, f"{few} queries for 3 members, {many} for 30"
    assert few <= 12


def test_the_openapi_schema_lists_the_organisation_paths(db):
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/o/{org_slug}/members/" in schema["paths"]
    assert "/api/v1/o/{org_slug}/audit-events/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_the_api_docs_render_without_an_external_cdn(db):
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r"<(?:script|link)\b[^>]*?\b(?:src|href)=[\"']([^\"']+)", html)
    assert assets, "the docs page loads no script or stylesheet"
    external = [url for url in assets if not url.startswith("/") or url.startswith("//")]
    assert not external, f"the docs page loads assets from other hosts: {external}"
    assert "/static/drf_spectacular_sidecar/" in html


def test_healthz_answers_ok_without_a_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_the_database_and_broker_checks(db, client):
    response = client.get("/readyz")
    body = response.json()
    assert set(body["checks"]) == {"database", "broker"}
    assert body["checks"]["database"] == "ok"
    all_ok = all(value == "ok" for value in body["checks"].values())
    assert response.status_code == (200 if all_ok else 503)
    assert body["status"] == ("ready" if all_ok else "not ready")


def test_readyz_answers_503_when_the_broker_is_down(db, client, monkeypatch):
    monkeypatch.setattr("qms.health._broker_ok", lambda: "Connection refused")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "checks": {"database": "ok", "broker": "failing: Connection refused"},
    }
