"""API clients that authenticate like an integration does: a bearer token of one member."""

import json

import pytest
from django.test import Client

from qms.audit.models import AuditEvent
from qms.audit.sealing import unseal_events
from qms.tenancy.models import Membership
from tests.factories import ApiTokenFactory


class ApiClient:
    def __init__(self, key: str, slug: str):
        self.client, self.slug = Client(), slug
        self.headers = {"authorization": f"Bearer {key}"}

    def url(self, path: str, slug: str | None = None) -> str:
        return f"/api/v1/o/{slug or self.slug}/{path}"

    def get(self, path, params=None, slug=None):
        return self.client.get(self.url(path, slug), params or {}, headers=self.headers)

    def post(self, path, body, slug=None):
        return self.client.post(
            self.url(path, slug), json.dumps(body), content_type="application/json", headers=self.headers
        )

    def patch(self, path, body, slug=None):
        return self.client.patch(
            self.url(path, slug), json.dumps(body), content_type="application/json", headers=self.headers
        )

    def put(self, path, body, slug=None):
        return self.client.put(
            self.url(path, slug), json.dumps(body), content_type="application/json", headers=self.headers
        )


@pytest.fixture
def api():
    """api(tenant, "staff") → a client holding a token of that member of that organisation."""
    count = iter(range(1000))

    def _api(tenant, role: str) -> ApiClient:
        with tenant.context():
            membership = Membership.objects.get(organization=tenant.organization, user=tenant.member(role))
        key = f"cl_{tenant.slug}-{role}-{next(count)}-api-test-key"
        ApiTokenFactory(membership=membership, key=key)
        return ApiClient(key, tenant.slug)

    return _api


def events(tenant, action: str) -> list[AuditEvent]:
    with tenant.context():
        found = AuditEvent.objects.filter(organization=tenant.organization, action=action).order_by("seq")
        return unseal_events(organization=tenant.organization, events=found)  # as the trail shows them


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]
