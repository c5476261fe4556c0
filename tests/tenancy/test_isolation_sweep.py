"""The isolation sweep: every route under /o/<org_slug>/ and /api/v1/o/<org_slug>/, proved against two tenants.

The routes are discovered from the URL resolver, and each must have an entry in REGISTRY saying how to name one
of a tenant's objects and what its own rows look like; a new organisation route that is not registered fails
the suite. For every route the sweep proves that:

(a) an owner of alpha gets 404 on bravo's URL (session, any method) and a bearer token of alpha never opens
    bravo's API (401 or 404); bravo is unchanged;
(b) under alpha's own slug, bravo's object id is 404 too;
(c) a list page or endpoint shows alpha's rows and none of bravo's marker text;
(d) an auditor of alpha gets 403 on every unsafe method and nothing changes;
(e) an anonymous visitor is sent to the login page (staff UI) or refused with 401/403 (API).

The write probes carry valid form data, and the owner's own probe is shown to change the organisation, so a
missing check would show up as a changed snapshot, not just a different status code.
"""

import importlib
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from qms.accounts.models import ApiToken, Invitation
from qms.audit.checkpoints import audit_checkpoint_create
from qms.audit.models import AuditEvent
from qms.modules import installed_modules, sweep_case_modules
from qms.outbox.models import OutboxMessage
from qms.tenancy.context import organization_context
from qms.tenancy.models import Membership, Organization, Role
from tests.factories import ApiTokenFactory, AuditEventFactory, InvitationFactory, OutboxMessageFactory
from tests.sweep.core import GET_POST, POST, Case, World

ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


# --- discovery ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    kwargs: frozenset[str]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def object_kwargs(self) -> frozenset[str]:
        return self.kwargs - {"org_slug"}


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = ":".join(filter(None, [namespace, pattern.namespace])) if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route, inner)
        else:
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name or f"<unnamed route {route}>", route


def discover_organization_routes() -> dict[str, Route]:
    routes = {}
    for name, route in _walk(get_resolver().url_patterns):
        kwargs = frozenset(re.findall(r"<(?:\w+:)?(\w+)>", route))
        if "org_slug" in kwargs and route.startswith(("o/", "api/v1/o/")):
            routes[name] = Route(name=name, route=route, kwargs=kwargs)
    return routes


# --- the tenants' data ---------------------------------------------------------------------------------------


def populate(tenant) -> World:
    organization, slug, marker = tenant.organization, tenant.slug, f"{tenant.slug}-marker"
    with tenant.context():
        memberships = {m.role: m for m in Membership.objects.filter(organization=organization)}
    owner_key, auditor_key = f"cl_{slug}-owner-key", f"cl_{slug}-auditor-key"
    ApiTokenFactory(membership=memberships[Role.OWNER], key=owner_key, name="Owner integration")
    ApiTokenFactory(membership=memberships[Role.AUDITOR], key=auditor_key, name="Auditor integration")
    AuditEventFactory.create_batch(2, organization=organization, actor=tenant.manager)
    world = World(
        tenant=tenant,
        marker=marker,
        memberships=memberships,
        invitation=InvitationFactory(
            organization=organization, email=f"{marker}-invitee@{slug}.test", invited_by=tenant.owner
        ),
        message=OutboxMessageFactory(
            organization=organization,
            to_email=f"{marker}@{slug}.test",
            subject=f"{marker} subject",
            state=OutboxMessage.State.FAILED,
            attempts=5,
            last_error="SMTPRecipientsRefused: 550",
        ),
        token=ApiTokenFactory(membership=memberships[Role.STAFF], name=f"{marker} token"),
        event=None,
        owner_key=owner_key,
        auditor_key=auditor_key,
    )
    for module in CASE_MODULES:
        world.extra.update(module.populate(tenant, marker))
    # the latest event, after everything the modules' rows recorded: the dashboard's recent activity shows it
    world.event = _with_checkpoint(
        AuditEventFactory(organization=organization, actor=tenant.owner, object_repr=f"{marker} audited thing")
    )
    return world


def _with_checkpoint(event):
    """The event, signed into a checkpoint (the checkpoint download's target)."""
    with organization_context(event.organization_id):
        audit_checkpoint_create(organization=event.organization)
    return event


def snapshot(world: World) -> dict:
    """Everything a request under the sweep could change in one organisation."""
    organization = world.tenant.organization
    with world.tenant.context():
        state = {
            "organization": Organization.objects.filter(pk=organization.pk).values_list("name", "slug").get(),
            "audit_events": AuditEvent.objects.filter(organization=organization).count(),
            "memberships": list(
                Membership.objects.filter(organization=organization)
                .order_by("pk")
                .values_list("pk", "role", "expires_at", "removed_at")
            ),
            "invitations": list(
                Invitation.objects.filter(organization=organization)
                .order_by("pk")
                .values_list("pk", "email", "revoked_at", "accepted_at")
            ),
            "outbox": list(
                OutboxMessage.objects.filter(organization=organization)
                .order_by("pk")
                .values_list("pk", "state", "attempts", "next_attempt_at")
            ),
            "tokens": list(
                ApiToken.objects.filter(organization=organization).order_by("pk").values_list("pk", "revoked_at")
            ),
        }
        for module in CASE_MODULES:
            state[module.__name__] = module.snapshot(world.tenant)
    return state


# --- the registry --------------------------------------------------------------------------------------------


FOUNDATION: dict[str, Case] = {
    "tenancy:home": Case(shows=("{name}", "{marker} audited thing")),
    "tenancy:settings": Case(
        methods=GET_POST,
        form=lambda w: {"name": "Renamed by the sweep", "time_zone": "Europe/Berlin", "language": "de"},
        shows=("{name}",),
    ),
    "tenancy:members": Case(
        methods=GET_POST,
        form=lambda w: {"email": "newcomer@example.com", "role": Role.STAFF},
        shows=("owner@{slug}.test", "{marker}-invitee@{slug}.test"),
    ),
    "tenancy:member_edit": Case(
        methods=GET_POST,
        target=lambda w: {"membership_id": w.memberships[Role.STAFF].pk},
        form=lambda w: {"role": Role.MANAGER},
    ),
    "tenancy:member_remove": Case(methods=POST, target=lambda w: {"membership_id": w.memberships[Role.STAFF].pk}),
    "tenancy:invitation_revoke": Case(methods=POST, target=lambda w: {"invitation_id": w.invitation.pk}),
    "audit:trail": Case(shows=("{marker} audited thing",)),
    "audit:trail_csv": Case(shows=("{marker} audited thing",)),
    "audit:event": Case(target=lambda w: {"event_id": w.event.pk}),
    "audit:checkpoint": Case(shows=('"slug": "{slug}"',)),
    "outbox:delivery_log": Case(shows=("{marker} subject", "{marker}@{slug}.test")),
    "outbox:message_retry": Case(methods=POST, target=lambda w: {"message_id": w.message.pk}),
    "outbox:delivery_rate": Case(methods=POST, form=lambda w: {"per_minute": "120"}),
    "tokens:list": Case(
        methods=GET_POST,
        form=lambda w: {"name": "Sweep token", "membership": w.memberships[Role.OWNER].pk},
        shows=("{marker} token",),
    ),
    "tokens:revoke": Case(methods=POST, target=lambda w: {"token_id": w.token.pk}),
    "tenancy_api:api_members": Case(shows=("owner@{slug}.test", "auditor@{slug}.test")),
    "tenancy_api:api_member": Case(target=lambda w: {"pk": w.memberships[Role.STAFF].pk}),
    "audit_api:api_events": Case(shows=("{marker} audited thing",)),
    "audit_api:api_event": Case(target=lambda w: {"pk": w.event.pk}),
}

# Each installed module names the test modules holding its cases (its AppConfig's `sweep_cases`).
CASE_MODULES = [importlib.import_module(name) for name in sweep_case_modules()]
REGISTRY: dict[str, Case] = {**FOUNDATION}
for _module in CASE_MODULES:
    REGISTRY.update(_module.CASES)

ROUTES = discover_organization_routes()
ALL_ROUTES = sorted(ROUTES)
OBJECT_ROUTES = sorted(name for name, route in ROUTES.items() if route.object_kwargs)
# An unregistered route lands in every list below, so its tests fail and name it.
LIST_ROUTES = sorted(
    name
    for name, route in ROUTES.items()
    if not route.object_kwargs and (name not in REGISTRY or "GET" in REGISTRY[name].methods)
)
API_LIST_ROUTES = [name for name in LIST_ROUTES if ROUTES[name].is_api]
WRITE_ROUTES = sorted(name for name in ROUTES if name not in REGISTRY or "POST" in REGISTRY[name].methods)


def case_for(name: str) -> Case:
    if name not in REGISTRY:
        pytest.fail(
            f"{name} ({ROUTES[name].route}) is an organisation route missing from the sweep: "
            "register it in the sweep cases its app's AppConfig names (sweep_cases)"
        )
    return REGISTRY[name]


def url_for(name: str, *, slug: str, objects: World) -> str:
    target = case_for(name).target
    return reverse(name, kwargs={"org_slug": slug, **(target(objects) if target else {})})


def send(client, method: str, url: str, data: dict | None = None, **headers):
    if method == "GET":
        return client.get(url, headers=headers)
    if method == "POST":
        return client.post(url, data or {}, headers=headers)
    body = urlencode(data or {})
    return client.generic(method, url, body, content_type="application/x-www-form-urlencoded", headers=headers)


def bearer(key: str) -> dict:
    return {"authorization": f"Bearer {key}"}


def leaked(response, world: World) -> list[str]:
    content = response.content.decode("utf-8", errors="replace")
    return [secret for secret in world.secrets if secret in content]


@pytest.fixture
def worlds(alpha, bravo):
    return populate(alpha), populate(bravo)


# --- the sweep ------------------------------------------------------------------------------------------------


def test_every_organisation_route_is_registered_in_the_sweep():
    discovered, registered = set(ROUTES), set(REGISTRY)
    assert not discovered - registered, f"organisation routes missing from REGISTRY: {sorted(discovered - registered)}"
    assert not registered - discovered, f"REGISTRY names routes that no longer exist: {sorted(registered - discovered)}"
    for name, route in ROUTES.items():
        target = REGISTRY[name].target
        assert bool(route.object_kwargs) == (target is not None), f"{name}: target must name {route.object_kwargs}"


def test_every_module_with_organisation_routes_names_its_sweep_cases():
    for module in installed_modules():
        routes = [name for name in ROUTES if name.split(":")[0] in (module.label, f"{module.label}_api")]
        assert not routes or module.sweep_cases, f"{module.label} has routes {routes} but names no sweep_cases"


def test_the_registry_targets_name_exactly_each_routes_object(worlds):
    alpha_world, _ = worlds
    for name, route in ROUTES.items():
        target = case_for(name).target
        built = set(target(alpha_world)) if target else set()
        assert built == route.object_kwargs, f"{name} ({route.route}) takes {set(route.object_kwargs)}, got {built}"


def test_the_sweep_covers_both_staff_and_api_routes():
    assert any(ROUTES[name].is_api for name in ALL_ROUTES)
    assert any(not ROUTES[name].is_api for name in ALL_ROUTES)
    assert OBJECT_ROUTES and LIST_ROUTES and API_LIST_ROUTES


@pytest.mark.parametrize("name", ALL_ROUTES)
def test_another_organisations_url_is_not_found_for_an_owner(name, worlds, login):
    alpha_world, bravo_world = worlds
    url = url_for(name, slug=bravo_world.slug, objects=bravo_world)
    client = login(alpha_world.tenant.owner)
    before = snapshot(bravo_world)
    for method in ALL_METHODS:
        response = send(client, method, url, case_for(name).form(bravo_world))
        assert response.status_code == 404, f"{method} {url} as alpha's owner answered {response.status_code}"
        assert not leaked(response, bravo_world), f"{method} {url} leaked {leaked(response, bravo_world)}"
    if ROUTES[name].is_api:
        for method in ALL_METHODS:
            response = send(Client(), method, url, case_for(name).form(bravo_world), **bearer(alpha_world.owner_key))
            assert response.status_code in (401, 404), f"{method} {url} with alpha's token: {response.status_code}"
            assert not leaked(response, bravo_world)
    assert snapshot(bravo_world) == before


@pytest.mark.parametrize("name", OBJECT_ROUTES)
def test_another_organisations_object_is_not_found_under_my_organisation(name, worlds, login):
    alpha_world, bravo_world = worlds
    url = url_for(name, slug=alpha_world.slug, objects=bravo_world)
    client = login(alpha_world.tenant.owner)
    before = snapshot(alpha_world), snapshot(bravo_world)
    for method in case_for(name).methods:
        response = send(client, method, url, case_for(name).form(alpha_world))
        assert response.status_code == 404, f"{method} {url} (bravo's object) answered {response.status_code}"
        assert not leaked(response, bravo_world)
        if ROUTES[name].is_api:
            response = send(Client(), method, url, **bearer(alpha_world.owner_key))
            assert response.status_code == 404, f"{method} {url} with alpha's token: {response.status_code}"
    assert (snapshot(alpha_world), snapshot(bravo_world)) == before


@pytest.mark.parametrize("name", OBJECT_ROUTES)
def test_my_own_object_is_found_under_my_organisation(name, worlds, login):
    """The control for the test above: the same route with alpha's own object does not answer 404."""
    alpha_world, _ = worlds
    url = url_for(name, slug=alpha_world.slug, objects=alpha_world)
    method = case_for(name).methods[0]
    response = send(login(alpha_world.tenant.owner), method, url, case_for(name).form(alpha_world))
    assert response.status_code in (200, 302), f"{method} {url} answered {response.status_code}"


@pytest.mark.parametrize("name", LIST_ROUTES)
def test_a_list_shows_my_rows_and_none_of_another_organisations(name, worlds, login):
    alpha_world, bravo_world = worlds
    url = url_for(name, slug=alpha_world.slug, objects=alpha_world)
    response = login(alpha_world.tenant.owner).get(url)
    assert response.status_code == 200
    content = response.content.decode()
    for shown in case_for(name).shows:
        assert alpha_world.text(shown) in content, f"{url} does not show {alpha_world.text(shown)!r}"
    assert not leaked(response, bravo_world), f"{url} leaked {leaked(response, bravo_world)}"


@pytest.mark.parametrize("name", API_LIST_ROUTES)
def test_a_list_endpoint_shows_the_tokens_organisation_only(name, worlds):
    alpha_world, bravo_world = worlds
    url = url_for(name, slug=alpha_world.slug, objects=alpha_world)
    response = Client().get(url, headers=bearer(alpha_world.owner_key))
    assert response.status_code == 200
    for shown in case_for(name).shows:
        assert alpha_world.text(shown) in response.content.decode()
    assert not leaked(response, bravo_world), f"{url} leaked {leaked(response, bravo_world)}"


@pytest.mark.parametrize("name", ALL_ROUTES)
def test_an_auditor_is_forbidden_every_unsafe_method(name, worlds, login):
    alpha_world, _ = worlds
    url = url_for(name, slug=alpha_world.slug, objects=alpha_world)
    form = case_for(name).form(alpha_world)
    client = login(alpha_world.tenant.auditor)
    before = snapshot(alpha_world)
    for method in UNSAFE_METHODS:
        response = send(client, method, url, form)
        assert response.status_code == 403, f"{method} {url} as alpha's auditor answered {response.status_code}"
        if ROUTES[name].is_api:
            response = send(Client(), method, url, form, **bearer(alpha_world.auditor_key))
            assert response.status_code == 403, f"{method} {url} with the auditor's token: {response.status_code}"
    assert snapshot(alpha_world) == before


@pytest.mark.parametrize("name", WRITE_ROUTES)
def test_the_owners_write_probe_changes_the_organisation(name, worlds, login):
    """The control for the unchanged snapshots above: the same body, sent by someone allowed, does write."""
    alpha_world, _ = worlds
    url = url_for(name, slug=alpha_world.slug, objects=alpha_world)
    before = snapshot(alpha_world)
    response = login(alpha_world.tenant.owner).post(url, case_for(name).form(alpha_world))
    shown_once = ("tokens:list", "customers:mail_events_rotate")  # the answer shows the new secret, once
    assert response.status_code == (200 if name in shown_once else 302), response.content[:500]
    assert snapshot(alpha_world) != before


@pytest.mark.parametrize("name", ALL_ROUTES)
def test_an_anonymous_visitor_is_sent_to_login_or_refused(name, worlds):
    alpha_world, _ = worlds
    url = url_for(name, slug=alpha_world.slug, objects=alpha_world)
    before = snapshot(alpha_world)
    for method in ALL_METHODS:
        response = send(Client(), method, url, case_for(name).form(alpha_world))
        if ROUTES[name].is_api:
            assert response.status_code in (401, 403), f"anonymous {method} {url}: {response.status_code}"
        else:
            assert response.status_code == 302, f"anonymous {method} {url}: {response.status_code}"
            assert response.url == f"{reverse('accounts:login')}?{urlencode({'next': url}, safe='/')}"
        assert not leaked(response, alpha_world)
    assert snapshot(alpha_world) == before
