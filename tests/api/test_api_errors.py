"""Every error under /api/ is JSON in the shape of DRF's own ({"detail": "…"}): a path no route matches, an
organisation that does not exist, another organisation's object, a method a route does not take, a body too
large, a bad host, a crash. Elsewhere the errors stay Django's pages."""

import pytest
from django.test import Client

from qms.tenancy import api_views
from tests.tenancy.test_isolation_sweep import ROUTES, bearer, populate, url_for

API_ROUTES = sorted(name for name, route in ROUTES.items() if route.is_api)
OBJECT_API_ROUTES = [name for name in API_ROUTES if ROUTES[name].object_kwargs]
UNROUTED = [
    "/api/",
    "/api/v1/",
    "/api/v1/o/",
    "/api/v1/o/alpha/",
    "/api/v1/o/alpha/nope/",
    "/api/v1/o/alpha/nope",
    "/api/v1/o/alpha/customers/not-a-number/",
    "/api/v1/o/alpha/customers/1/nope/",
    "/api/schema/nope/",
    "/api/nope",
]


@pytest.fixture
def worlds(alpha, bravo):
    """The isolation sweep's two organisations, each with a row of every kind and its owner's and auditor's tokens."""
    return populate(alpha), populate(bravo)


def _detail(response) -> str:
    assert response["Content-Type"] == "application/json", f"{response.status_code}: {response.content[:200]!r}"
    body = response.json()
    assert list(body) == ["detail"] and isinstance(body["detail"], str) and body["detail"]
    return body["detail"]


@pytest.mark.parametrize("path", UNROUTED)
def test_a_path_no_route_matches_is_a_json_404(path, worlds):
    alpha_world, _ = worlds
    response = Client().get(path, headers=bearer(alpha_world.owner_key))
    assert response.status_code == 404
    assert _detail(response) == "Not found."


def _as_alphas_owner(worlds, method: str, name: str, *, slug: str = "alpha", objects: str = "alpha"):
    """The route `name` under organisation `slug`, naming the objects of the world `objects`, with alpha's owner's
    token."""
    alpha_world, bravo_world = worlds
    url = url_for(name, slug=slug, objects=alpha_world if objects == "alpha" else bravo_world)
    return Client().generic(method, url, headers=bearer(alpha_world.owner_key))


@pytest.mark.parametrize("name", API_ROUTES)
def test_an_organisation_that_does_not_exist_is_a_json_404_on_every_route(name, worlds):
    for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
        response = _as_alphas_owner(worlds, method, name, slug="no-such-organisation")
        assert response.status_code == 404, method
        assert _detail(response) == "No such organisation."


@pytest.mark.parametrize("name", OBJECT_API_ROUTES)
def test_another_organisations_object_is_a_json_404(name, worlds):
    response = _as_alphas_owner(worlds, "GET", name, objects="bravo")
    assert response.status_code == 404
    _detail(response)


@pytest.mark.parametrize("name", API_ROUTES)
def test_a_method_a_route_does_not_take_is_a_json_405(name, worlds):
    response = _as_alphas_owner(worlds, "DELETE", name)
    assert response.status_code == 405
    assert _detail(response) == 'Method "DELETE" not allowed.'


def test_no_token_and_a_read_only_role_are_json_errors(worlds):
    alpha_world, _ = worlds
    response = Client().get("/api/v1/o/alpha/customers/")
    assert response.status_code in (401, 403)
    _detail(response)
    response = Client().post("/api/v1/o/alpha/customers/", {"name": "Refused"}, headers=bearer(alpha_world.auditor_key))
    assert response.status_code == 403
    _detail(response)


def test_a_body_larger_than_django_reads_is_a_json_413(worlds, settings):
    alpha_world, _ = worlds
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = Client().post(
        "/api/v1/o/alpha/customers/",
        '{"name": "' + "x" * 20_000 + '"}',
        content_type="application/json",
        headers=bearer(alpha_world.owner_key),
    )
    assert response.status_code == 413
    assert _detail(response) == "The request body is larger than 10,000 bytes."


def test_a_host_that_is_not_allowed_is_a_json_400(worlds):
    response = Client().get("/api/v1/o/alpha/customers/", headers={"host": "evil.example"})
    assert response.status_code == 400
    _detail(response)


def test_a_crash_is_a_json_500(worlds, monkeypatch):
    alpha_world, _ = worlds

    def crash(self, organization):
        raise RuntimeError("a bug")

    monkeypatch.setattr(api_views.MemberList, "organization_queryset", crash)
    response = Client(raise_request_exception=False).get(
        "/api/v1/o/alpha/members/", headers=bearer(alpha_world.owner_key)
    )
    assert response.status_code == 500
    assert _detail(response) == "A server error occurred."


def test_errors_outside_the_api_are_still_pages(worlds, login, alpha):
    response = login(alpha.owner).get("/o/no-such-organisation/")
    assert (response.status_code, response["Content-Type"]) == (404, "text/html; charset=utf-8")
    response = Client().get("/nope/")
    assert (response.status_code, response["Content-Type"]) == (404, "text/html; charset=utf-8")
