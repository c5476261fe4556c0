"""How a domain app plugs in: its AppConfig subclasses ModuleConfig and declares what it brings.

`qms/` never names a domain app. The project's URLs, navigation, demo data, privacy registry, dashboard cards,
customer page panels, notification kinds, audit action labels and beat schedule are gathered here from the
installed apps, in INSTALLED_APPS order (so an app comes after the apps it builds on). docs/adding-a-module.md
walks through the declarations with feedback/ as the worked example.

Dotted paths are imported on first use, never at import time, so an app's AppConfig stays cheap to load and a
declaration cannot create an import loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from qms.dashboard import Attention, DashboardCard, Period

if TYPE_CHECKING:
    from django.db.models import Model
    from django.http import HttpResponse
    from django_stubs_ext import StrOrPromise

    from qms.tenancy.models import Membership, Organization


# The side navigation's groups, in the order a quality manager works: ask customers, listen to them, act on what
# they say, prove it; then the directory everything refers to. A NavEntry names its group by key.
NAV_GROUPS = (
    ("ask", _("Ask")),
    ("listen", _("Listen")),
    ("act", _("Act")),
    ("prove", _("Prove")),
    ("directory", _("Directory")),
)


@dataclass(frozen=True)
class NavEntry:
    """One entry of the organisation's side navigation, in its group (a key of NAV_GROUPS), with a heroicon;
    active on its own pages and on `also_active` ones."""

    label: StrOrPromise
    url_name: str
    order: int = 100
    also_active: tuple[str, ...] = ()
    group: str = "directory"
    icon: str = "squares-2x2"


@dataclass(frozen=True)
class CustomerPanel:
    """A section another app adds to a customer's or a contact's page, rendered from its own template and context."""

    title: StrOrPromise
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


@dataclass(frozen=True)
class NotificationFact:
    """A fact a kind of notification carries (a feedback item's channel), on which a notification rule may match.

    `choices` is a callable(organization) -> [(value, label)], or its dotted path: what the rules page offers."""

    name: str
    label: StrOrPromise
    choices: str | Callable[[Organization], list[tuple[str, str]]]

    def choices_for(self, organization: Organization) -> list[tuple[str, str]]:
        source = _load(self.choices) if isinstance(self.choices, str) else self.choices
        return list(source(organization))


@dataclass(frozen=True)
class NotificationKind:
    """Something a person can be told about (routed and delivered by qms/notifications), with the facts its rules
    may match on; the module calls `qms.notifications.services.notify` with those facts. A kind that is not `routed`
    names its recipients itself (the assignee): the rules page offers no rules for it."""

    key: str
    label: StrOrPromise
    description: StrOrPromise = ""
    facts: tuple[NotificationFact, ...] = ()
    routed: bool = True


@dataclass(frozen=True)
class TokenLink:
    """A public link found by its token, /<prefix>/<token>/ (prefix "r" for /r/<token>/): `organization_of` is the
    dotted path of a callable(*, token_hash) -> organisation id | None, answered across organisations (a SECURITY
    DEFINER crossing on PostgreSQL). The middleware runs the link's view inside that organisation's context
    (qms/tenancy/public_links.py). `organization_sql`, optional: the same crossing as one SQL expression of the hash
    (`%s`) on PostgreSQL, such as "app_survey_link_organization(%s)", which the middleware then reads in the
    statement that reads the organisation's row (a round trip less for every visit of the link)."""

    prefix: str
    organization_of: str
    organization_sql: str = ""

    @property
    def path_prefix(self) -> str:
        return f"/{self.prefix.strip('/')}/"


class ModuleConfig(AppConfig):
    """The AppConfig of a domain app. Every declaration is optional; docs/adding-a-module.md explains each.

    Import the module, not the class (`from qms import modules` ... `class FeedbackConfig(modules.ModuleConfig)`):
    Django picks an app's config only when apps.py holds exactly one AppConfig subclass.
    """

    # A module with `urlpatterns` (staff pages under /o/<slug>/), `api_urlpatterns` (under /api/v1/o/<slug>/) and
    # `public_urlpatterns` (under /p/<slug>/, no account) and `link_urlpatterns` (token links at the site's root,
    # such as r/<str:token>/, declared in `token_links`). Staff and API routes are namespaced by the app's label
    # (`feedback:inbox`, `feedback_api:api_feedback`); public routes of every app share the `public` namespace, and
    # token links the `links` namespace.
    urls: str = ""
    navigation: tuple[NavEntry, ...] = ()
    # callable(*, organization, password) run inside the organisation's context by seed_demo
    demo_seeder: str = ""
    # objects with export() and erase() for a contact: see customers/privacy.py
    privacy_handlers: tuple[str, ...] = ()
    # callable(*, organization, membership, period) -> list[DashboardCard]: key figures (qms/dashboard.py)
    dashboard_cards: str = ""
    # callable(*, organization, membership, since, today) -> list[Attention]: what needs this member
    dashboard_attention: str = ""
    # a view(request, org_slug) the organisation's home page delegates to (the first module declaring one)
    home_view: str = ""
    # callables(*, organization, membership, customer) -> CustomerPanel | None
    customer_panels: tuple[str, ...] = ()
    # callables(*, organization, membership, contact) -> CustomerPanel | None: the same on a contact's page
    contact_panels: tuple[str, ...] = ()
    notification_kinds: tuple[NotificationKind, ...] = ()
    # audit action -> what a timeline calls it: a label ("Closed") or a qms.audit.phrases.AuditPhrase, which also
    # tells it as a sentence ("assigned {record} to {assignee}")
    audit_actions: dict[str, Any] = {}
    # action -> the roles that may perform it ("feedback.triage": WRITERS); qms/permissions.py holds the table
    permissions: dict[str, tuple[str, ...]] = {}
    # test modules holding this app's isolation-sweep cases: named here, imported only by the test suite
    sweep_cases: tuple[str, ...] = ()
    # dotted paths of SQL strings, each a `CREATE OR REPLACE FUNCTION app_<name>(...) ... SECURITY DEFINER` that
    # answers one cross-organisation question with ids (qms/tenancy/crossings.py); installed and granted to the
    # application role after each migrate, on PostgreSQL
    database_crossings: tuple[str, ...] = ()
    # renderer key -> dotted path of a callable(message: OutboxMessage) -> qms.outbox.rendering.RenderedEmail: what
    # the outbox worker calls to write a deferred message (qms.outbox.services.email_enqueue_many) before sending it
    email_renderers: dict[str, str] = {}
    # the public links found by their token (/r/<token>/ …) whose routes are the `link_urlpatterns` of `urls`
    token_links: tuple[TokenLink, ...] = ()

    def periodic_tasks(self) -> dict[str, dict]:
        """Beat entries {name: {"task": "<app>.<task>", "schedule": seconds}}: tasks are named, never imported."""
        return {}

    def ready(self) -> None:
        # Celery reads this dict (through django.conf:settings) when beat starts, after every app is ready.
        for name, entry in self.periodic_tasks().items():
            settings.CELERY_BEAT_SCHEDULE.setdefault(name, entry)


def installed_modules() -> list[ModuleConfig]:
    return [config for config in apps.get_app_configs() if isinstance(config, ModuleConfig)]


@cache
def _load(path: str) -> Any:
    return import_string(path)


def url_patterns(kind: str) -> Iterator[tuple[ModuleConfig, list]]:
    """(module, patterns) for each module declaring `kind` ("urlpatterns", "api_urlpatterns", ...)."""
    for module in installed_modules():
        if module.urls:
            patterns = getattr(import_module(module.urls), kind, None)
            if patterns:
                yield module, patterns


def navigation_entries() -> list[NavEntry]:
    """Every installed module's entries, by group (NAV_GROUPS order; an unknown group goes last), then order."""
    groups = [key for key, _label in NAV_GROUPS]

    def position(entry: NavEntry) -> tuple[int, int]:
        return (groups.index(entry.group) if entry.group in groups else len(groups), entry.order)

    return sorted((entry for m in installed_modules() for entry in m.navigation), key=position)


def nav_group_label(key: str) -> str:
    return str(dict(NAV_GROUPS).get(key, key.capitalize()))


def demo_seeders() -> list[Callable[..., None]]:
    return [_load(m.demo_seeder) for m in installed_modules() if m.demo_seeder]


def privacy_handlers() -> list[Any]:
    return [_load(path) for m in installed_modules() for path in m.privacy_handlers]


def dashboard_cards(
    *, organization: Organization, membership: Membership, period: Period | None = None
) -> list[DashboardCard]:
    """Every module's key figures over `period` (default: the one ending today), in INSTALLED_APPS order."""
    period = period or Period.ending(organization.today())
    cards: list[DashboardCard] = []
    for module in installed_modules():
        if module.dashboard_cards:
            found = _load(module.dashboard_cards)(organization=organization, membership=membership, period=period)
            cards.extend(found)
    return cards


def dashboard_attention(
    *, organization: Organization, membership: Membership, since: datetime, today: date
) -> list[Attention]:
    """What needs this member in every module, and what arrived since `since` (their last visit)."""
    found = (
        _load(module.dashboard_attention)(organization=organization, membership=membership, since=since, today=today)
        for module in installed_modules()
        if module.dashboard_attention
    )
    return sorted((attention for lists in found for attention in lists), key=lambda a: a.order)


def home_view() -> Callable[..., HttpResponse] | None:
    """The view of the organisation's home page an installed module declares (the dashboard), or None."""
    return next((_load(m.home_view) for m in installed_modules() if m.home_view), None)


def customer_panels(*, organization: Organization, membership: Membership, customer: Model) -> list[CustomerPanel]:
    return _panels("customer_panels", organization=organization, membership=membership, customer=customer)


def contact_panels(*, organization: Organization, membership: Membership, contact: Model) -> list[CustomerPanel]:
    return _panels("contact_panels", organization=organization, membership=membership, contact=contact)


def _panels(declared: str, **record: Any) -> list[CustomerPanel]:
    """The panels the installed modules declare under `declared`, for one record, in their order."""
    panels = (_load(path)(**record) for module in installed_modules() for path in getattr(module, declared))
    return sorted((panel for panel in panels if panel is not None), key=lambda p: p.order)


def database_crossings() -> list[str]:
    return [_load(path) for m in installed_modules() for path in m.database_crossings]


def token_links() -> list[TokenLink]:
    return [link for module in installed_modules() for link in module.token_links]


def token_link_for(path: str) -> TokenLink | None:
    """The token link a path is under (/r/abc/ -> the module's TokenLink("r", …)), or None."""
    return next((link for link in token_links() if path.startswith(link.path_prefix)), None)


def organization_of(link: TokenLink) -> Callable[..., int | None]:
    return _load(link.organization_of)


def email_renderers() -> dict[str, Callable[..., Any]]:
    """Every installed module's email renderers by key (the first module declaring a key wins)."""
    found: dict[str, Callable[..., Any]] = {}
    for module in installed_modules():
        for key, path in module.email_renderers.items():
            found.setdefault(key, _load(path))
    return found


def notification_kinds() -> list[NotificationKind]:
    return [kind for module in installed_modules() for kind in module.notification_kinds]


def notification_kind(key: str) -> NotificationKind | None:
    return next((kind for kind in notification_kinds() if kind.key == key), None)


def audit_action_label(action: str) -> str:
    """What a timeline calls an audit action, as its module declared it; the action itself otherwise."""
    for module in installed_modules():
        if action in module.audit_actions:
            return str(module.audit_actions[action])  # a label, or a qms.audit.phrases.AuditPhrase
    return action


def sweep_case_modules() -> list[str]:
    return [name for module in installed_modules() for name in module.sweep_cases]
