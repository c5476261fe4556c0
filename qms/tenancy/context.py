"""The one place that sets and restores the tenant context: django-scopes scope plus the PostgreSQL setting.

Every request under /o/, /api/v1/o/ and the public organisation routes, and every Celery task body, runs inside
`organization_context`. `cross_tenant` is the explicit, rare exception (relay claims, the org switcher).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache

from django.db import DatabaseError, connection, transaction
from django_scopes import scope, scopes_disabled

from .models import Organization
from .resolution import ORGANIZATION, organization_by_slug_sql, resolve_organization

_SWAP = (
    "SELECT current_setting('app.organization_id', true), current_setting('app.cross_tenant', true), "
    "set_config('app.organization_id', %s, true), set_config('app.cross_tenant', %s, true)"
)
_RESTORE = "SELECT set_config('app.organization_id', %s, true), set_config('app.cross_tenant', %s, true)"


def _restore(previous: Sequence[str | None]) -> None:
    if not connection.needs_rollback:
        try:
            with connection.cursor() as cursor:
                cursor.execute(_RESTORE, [previous[0] or "", previous[1] or ""])
        except DatabaseError:
            pass  # the transaction is failing; its rollback discards the local setting anyway


@contextmanager
def _database_setting(organization_id: str, cross_tenant: str) -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute(_SWAP, [organization_id, cross_tenant])
            previous = cursor.fetchone()[:2]
        try:
            yield
        finally:
            _restore(previous)


@contextmanager
def organization_context(organization: Organization | int) -> Iterator[None]:
    """Run the block as one organisation: scoped managers filter by it and RLS admits only its rows."""
    organization_id = getattr(organization, "pk", organization)
    if organization_id is None:
        raise ValueError("organization_context needs an organisation")
    with scope(organization=organization_id), _database_setting(str(organization_id), ""):
        yield


@contextmanager
def cross_tenant() -> Iterator[None]:
    """Lift the tenant guard for an explicit cross-organisation operation. Keep these rare and reviewed."""
    with scopes_disabled(), _database_setting("", "on"):
        yield


@cache
def _enter_by_slug_sql() -> str:
    """The organisation of a slug, and _SWAP to its id in the same statement (only when there is such a row)."""
    organization_id = ORGANIZATION.column("id")
    return organization_by_slug_sql(
        "postgresql",
        ", current_setting('app.organization_id', true), current_setting('app.cross_tenant', true), "
        f"set_config('app.organization_id', {organization_id}::text, true), set_config('app.cross_tenant', '', true)",
    )


@contextmanager
def request_organization_context(slug: str) -> Iterator[Organization | None]:
    """A request's transaction, run as the organisation of its URL's slug: yields the Organization, or None (and
    no context) when no organisation has that slug.

    It is `transaction.atomic()`, `resolve_organization(slug)` and `organization_context(...)` with fewer round
    trips on PostgreSQL: the lookup and the RLS setting are one statement, and when this transaction is the
    outermost one (a request's, not inside a test's), its end discards the transaction-local setting, so no
    statement restores it.
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
            cursor.execute(_enter_by_slug_sql(), [slug])
            row = cursor.fetchone()
        if row is None:
            yield None
            return
        organization = ORGANIZATION.instance(row[: len(ORGANIZATION)])
        try:
            with scope(organization=organization.pk):
                yield organization
        finally:
            if not outermost:
                _restore(row[len(ORGANIZATION) : len(ORGANIZATION) + 2])
