"""Who may do what, in one table: each route declares the action it performs, and the table says which roles may.

Pages declare it with `@permission("feedback.view", write="feedback.record")` (the action of a GET, and of any
other method); API views with `actions = {"GET": "customers.view", "POST": "customers.edit"}`, read by
`qms.tenancy.api.IsOrganizationMember`. The foundation's actions are below; each module adds its own
(`ModuleConfig.permissions`, qms/modules.py). A check narrower than a role (staff triage only the items assigned
to them) stays in the module's access helper, after this one. The role sweep (tests/tenancy/test_role_sweep.py)
sends every route every role and fails on a route that declares no action.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache, wraps
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from qms.tenancy.models import Membership

# Membership.role values (qms.tenancy.models.Role); plain strings, so that an AppConfig can name them at import.
OWNER, MANAGER, STAFF, AUDITOR = "owner", "manager", "staff", "auditor"
EVERYONE = (OWNER, MANAGER, STAFF, AUDITOR)
WRITERS = (OWNER, MANAGER, STAFF)
MANAGERS = (OWNER, MANAGER)
OVERSEERS = (OWNER, MANAGER, AUDITOR)  # who reads the organisation's own records: members, settings, the trail

FOUNDATION: dict[str, tuple[str, ...]] = {
    "dashboard.view": EVERYONE,
    "members.view": OVERSEERS,
    "members.manage": (OWNER,),
    "settings.view": OVERSEERS,
    "settings.manage": (OWNER,),
    "audit.view": OVERSEERS,
    "audit.checkpoint": (OWNER,),
    "delivery.view": MANAGERS,
    "delivery.retry": MANAGERS,
    "delivery.manage": MANAGERS,  # the organisation's email sending rate
    "tokens.manage": (OWNER,),
}
DENIED = _("Your role in this organisation does not allow this.")


@cache
def permission_table() -> dict[str, frozenset[str]]:
    """Every action of the foundation and the installed modules, with the roles that may perform it."""
    from qms.modules import installed_modules

    table = {action: frozenset(roles) for action, roles in FOUNDATION.items()}
    for module in installed_modules():
        for action, roles in module.permissions.items():
            if action in table:
                raise ImproperlyConfigured(f"{module.label} declares the action {action!r} a second time")
            table[action] = frozenset(roles)
    return table


def roles_for(action: str) -> frozenset[str]:
    try:
        return permission_table()[action]
    except KeyError:
        raise ImproperlyConfigured(f"No such action {action!r} in the permission table") from None


def may(membership: Membership | None, action: str) -> bool:
    return membership is not None and membership.role in roles_for(action)


def require(membership: Membership | None, action: str) -> None:
    if not may(membership, action):
        raise PermissionDenied(DENIED)


def method_action(actions: Mapping[str, str], method: str) -> str:
    """The action a request performs: its method's, HEAD as GET, any other unsafe method as POST's."""
    if method in actions:
        return actions[method]
    if method == "HEAD" and "GET" in actions:
        return actions["GET"]
    if "POST" in actions and method not in ("GET", "HEAD", "OPTIONS"):
        return actions["POST"]
    return actions.get("GET", next(iter(actions.values())))


def permission(read: str, *, write: str | None = None) -> Callable:
    """Declare and enforce a page's action: `read` for GET, `write` (default `read`) for any other method."""
    actions = {"GET": read, **({"POST": write} if write else {})}
    for action in actions.values():
        if not isinstance(action, str) or "." not in action:
            raise ImproperlyConfigured(f"permission() takes action names such as 'feedback.view', not {action!r}")

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: Any, *args: Any, **kwargs: Any) -> Any:
            require(getattr(request, "membership", None), method_action(actions, request.method))
            return view(request, *args, **kwargs)

        wrapper.actions = actions  # type: ignore[attr-defined]
        return wrapper

    return decorate


def declared_actions(view: Any) -> dict[str, str] | None:
    """The actions a resolved view declares (a page's decorator, an API view's class), or None."""
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    return getattr(view, "actions", None) or getattr(cls, "actions", None)


def actions_of(views: Iterable[Any]) -> set[str]:
    return {action for view in views for action in (declared_actions(view) or {}).values()}
