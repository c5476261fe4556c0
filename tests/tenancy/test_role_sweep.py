"""The role sweep: every organisation route, sent by every kind of member, answers what the permission table says.

Each route declares the action it performs (qms/permissions.py); the table says which roles may do it. For every
route and every role (owner, manager, staff, auditor, an auditor whose access expired, a removed member) and
every method the route takes, the sweep expects: not a member any more → 404; a role the table allows → neither
403 nor 404 (nor a 5xx); any other role → 403. A route that declares no action, or an action the table does not
know, fails the suite. Personal records (a saved view) are 404 for everyone but their owner.
"""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from qms.permissions import declared_actions, method_action, permission_table
from qms.tenancy.models import Membership, Role
from tests.factories import MembershipFactory, UserFactory
from tests.sweep.core import World
from tests.tenancy.test_isolation_sweep import ALL_ROUTES, ROUTES, case_for, populate, send, url_for

ROLES = ("removed", "expired_auditor", "auditor", "staff", "manager", "owner")  # the owner last: its writes stick
ACTIVE = {"auditor": Role.AUDITOR, "staff": Role.STAFF, "manager": Role.MANAGER, "owner": Role.OWNER}


def _callbacks(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _callbacks(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


ORGANISATION_VIEWS = [
    (route, view) for route, view in _callbacks(get_resolver().url_patterns) if route.startswith(("o/", "api/v1/o/"))
]


def test_every_organisation_route_declares_actions_the_table_knows():
    table = permission_table()
    assert ORGANISATION_VIEWS
    for route, view in ORGANISATION_VIEWS:
        actions = declared_actions(view)
        assert actions, f"{route} declares no action: decorate it with qms.permissions.permission"
        unknown = set(actions.values()) - set(table)
        assert not unknown, f"{route} performs {unknown}, which the permission table does not know"


def test_every_action_of_the_table_is_performed_by_some_route():
    performed = {action for _, view in ORGANISATION_VIEWS for action in declared_actions(view).values()}
    assert set(permission_table()) - performed == set()


def test_the_table_names_only_real_roles():
    for action, roles in permission_table().items():
        assert roles and roles <= set(Role.values), action


@pytest.fixture
def world(alpha) -> World:
    world = populate(alpha)
    expired, removed = UserFactory(email="expired@alpha.test"), UserFactory(email="removed@alpha.test")
    MembershipFactory(
        organization=alpha.organization, user=expired, role=Role.AUDITOR, expires_at=timezone.now() - timedelta(days=1)
    )
    MembershipFactory(organization=alpha.organization, user=removed, role=Role.STAFF, removed_at=timezone.now())
    world.extra["users"] = {
        "removed": removed,
        "expired_auditor": expired,
        **{name: alpha.member(role) for name, role in ACTIVE.items()},
    }
    return world


def _methods(name: str, actions: dict) -> tuple[str, ...]:
    """What the route takes: the sweep case's methods, and for the API every method it declares an action for."""
    methods = case_for(name).methods
    return tuple(dict.fromkeys([*methods, *actions])) if ROUTES[name].is_api else methods


def _expected(name: str, role: str, action: str) -> str:
    if role not in ACTIVE:
        return "not found"
    case = case_for(name)
    if ACTIVE[role] not in permission_table()[action]:
        return "forbidden"
    return "not found" if case.owned_by and case.owned_by != role else "allowed"


@pytest.mark.parametrize("name", ALL_ROUTES)
def test_every_role_gets_what_the_permission_table_says(name, world, login):
    url = url_for(name, slug=world.slug, objects=world)
    actions = declared_actions(resolve(url).func)
    form = case_for(name).form(world)
    seen = []
    for role in ROLES:
        client = login(world.extra["users"][role])
        for method in _methods(name, actions):
            expected = _expected(name, role, method_action(actions, method))
            status = send(client, method, url, form).status_code
            got = {403: "forbidden", 404: "not found"}.get(status, "allowed")
            seen.append((role, method, expected, status))
            assert status < 500, f"{method} {url} as {role}: {status}"
            assert got == expected, f"{method} {url} as {role}: {status}, the table says {expected} ({seen})"
    with world.tenant.context():
        assert Membership.objects.filter(organization=world.tenant.organization).count() >= 6


@pytest.mark.parametrize("path", ["members/", "audit-events/"])
def test_a_staff_members_token_reads_neither_the_members_nor_the_audit_trail_as_on_the_pages(alpha, api, path):
    assert api(alpha, "staff").get(path).status_code == 403
    assert api(alpha, "auditor").get(path).status_code == 200
    assert api(alpha, "staff").get("customers/").status_code == 200
