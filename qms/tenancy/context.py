"""The one place that sets and restores the tenant context: django-scopes scope plus the PostgreSQL setting.

Every request under /o/, /api/v1/o/ and the public organisation routes, and every Celery task body, runs inside
`organization_context`. On PostgreSQL the setting is sealed (qms/tenancy/rls.py), so SQL that the application role
runs cannot claim another organisation. There is no cross-organisation context: the few reads across organisations
are the functions of qms.tenancy.crossings. `system_context` is for system mail alone.
"""

import hashlib
import hmac
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django_scopes import scope, scopes_disabled

from .models import Organization
from .resolution import ORGANIZATION, organization_by_slug_sql, resolve_organization
from .rls import SYSTEM_ORGANIZATION
from .sql import execute

# The previous context, and what the seal binds to: this connection's backend and this transaction's start.
_START = (
    "current_setting('app.organization_id', true), current_setting('app.context_seal', true), "
    "pg_backend_pid(), (extract(epoch FROM transaction_timestamp()) * 1000000)::bigint"
)
_SET = "SELECT set_config('app.organization_id', %s, true), set_config('app.context_seal', %s, true)"


def context_seal(organization_id: str, backend: int, started: int) -> str:
    """What app_organization_id() (qms/tenancy/rls.py) checks: an HMAC that only the application can compute, for
    this organisation on this connection in this transaction."""
    message = f"{organization_id}:{backend}:{started}".encode()
    return hmac.new(settings.TENANT_CONTEXT_KEY, message, hashlib.sha256).hexdigest()


# A DB-API cursor: Django's CursorWrapper, or a psycopg cursor of a connection of its own.
_Cursor = Any


def _set(cursor: _Cursor, organization_id: str, backend: int, started: int) -> None:
    seal = context_seal(organization_id, backend, started) if organization_id else ""
    cursor.execute(_SET, [organization_id, seal])


def enter_on(cursor: _Cursor, organization_id: int | str) -> None:
    """Enter an organisation on a DB-API cursor of its own connection, inside its open transaction (a test's second
    connection, a maintenance script): what organisation_context does on Django's connection."""
    cursor.execute(f"SELECT {_START}")
    _, _, backend, started = cursor.fetchone()
    _set(cursor, str(organization_id), backend, started)


def _restore(previous: Sequence[str | None]) -> None:
    if not connection.needs_rollback:
        try:
            with connection.cursor() as cursor:
                cursor.execute(_SET, [previous[0] or "", previous[1] or ""])
        except DatabaseError:
            pass  # the transaction is failing; its rollback discards the local setting anyway


@contextmanager
def _database_setting(organization_id: str) -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {_START}")
            previous_id, previous_seal, backend, started = cursor.fetchone()
            _set(cursor, organization_id, backend, started)
        try:
            yield
        finally:
            _restore((previous_id, previous_seal))


@contextmanager
def organization_context(organization: Organization | int) -> Iterator[None]:
    """Run the block as one organisation: scoped managers filter by it and RLS admits only its rows."""
    organization_id = getattr(organization, "pk", organization)
    if organization_id is None:
        raise ValueError("organization_context needs an organisation")
    with scope(organization=organization_id), _database_setting(str(organization_id)):
        yield


@contextmanager
def system_context() -> Iterator[None]:
    """Run the block as no organisation: only system mail (the outbox's rows of no organisation) is visible, and
    scoped managers do not filter. The password reset's email is the one user."""
    with scopes_disabled(), _database_setting(str(SYSTEM_ORGANIZATION)):
        yield


@cache
def _enter_by_slug_sql() -> str:
    """The organisation of a slug, with the previous context and what the seal binds to in the same statement."""
    return organization_by_slug_sql("postgresql", f", {_START}")


class _SettingFirst:
    """An execute wrapper that sends the organisation's setting in the same message as the block's first statement,
    ahead of it (`SELECT set_config(…); <statement>`: PostgreSQL runs them in order, the second under the setting),
    so entering costs no round trip of its own. A statement it cannot go ahead of in one text (one without
    parameters, whose `%` are literal; named parameters; many rows; a server-side cursor's DECLARE) has the setting
    sent just before it. Until the setting is sent the block's statements see no organisation at all: a statement
    that went around Django's cursor would find nothing (it fails closed), never another organisation's rows."""

    def __init__(self, params: list[str]) -> None:
        self.params: list[str] | None = params

    @property
    def sent(self) -> bool:
        return self.params is None

    def send(self) -> None:
        """Send the setting now, on its own (the driver's cursor: no wrapper sees it)."""
        setting, self.params = self.params, None
        if setting is not None:
            with connection.connection.cursor() as cursor:
                cursor.execute(_SET, setting)

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        setting = self.params
        if setting is not None:
            if many or not isinstance(params, list | tuple) or getattr(context["cursor"].cursor, "name", None):
                self.send()
            else:
                self.params = None
                sql, params = f"{_SET}; {sql}", [*setting, *params]
        return execute(sql, params, many, context)


@contextmanager
def entered_from_row(row: Sequence[Any], *, outermost: bool) -> Iterator[Organization]:
    """Enter the organisation of a row read as ORGANIZATION's columns followed by `_START`'s (what the seal binds
    to), inside the open transaction; the setting is restored after unless that transaction is the outermost one,
    whose end discards it (or no statement ran). Two statements less than organization_context: a slug's or a
    link's request, whose setting goes with its first statement (_SettingFirst)."""
    organization = ORGANIZATION.instance(row[: len(ORGANIZATION)])
    previous_id, previous_seal, backend, started = row[len(ORGANIZATION) :]
    organization_id = str(organization.pk)
    for outer in connection.execute_wrappers:  # an outer block's setting, not sent yet, would land after this one's
        if isinstance(outer, _SettingFirst):
            outer.send()
    setting = _SettingFirst([organization_id, context_seal(organization_id, backend, started)])
    try:
        with scope(organization=organization.pk), connection.execute_wrapper(setting):
            yield organization
    finally:
        if not outermost and setting.sent:
            _restore((previous_id, previous_seal))


@contextmanager
def request_organization_context(slug: str) -> Iterator[Organization | None]:
    """A request's transaction, run as the organisation of its URL's slug: yields the Organization, or None (and
    no context) when no organisation has that slug.

    It is `transaction.atomic()`, `resolve_organization(slug)` and `organization_context(...)` with fewer round
    trips on PostgreSQL: the lookup also reads what the seal binds to, the setting goes with the next statement, and
    when this transaction is the outermost one (a request's, not inside a test's), its end discards the
    transaction-local setting, so no statement restores it.
    """
    outermost = not connection.in_atomic_block and connection.get_autocommit()
    with transaction.atomic():
        if connection.vendor != "postgresql":
            organization = resolve_organization(slug)
            if organization is None:
                yield None
                return
            with organization_context(organization):
                yield organization
            return
        with connection.cursor() as cursor:
            execute(cursor, _enter_by_slug_sql(), [slug])
            row = cursor.fetchone()
        if row is None:
            yield None
            return
        with entered_from_row(row, outermost=outermost) as organization:
            yield organization
