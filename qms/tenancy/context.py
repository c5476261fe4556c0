"""The one place that sets and restores the tenant context: django-scopes scope plus the PostgreSQL setting.

Every request under /o/, /api/v1/o/ and the public organisation routes, and every Celery task body, runs inside
`organization_context`. `cross_tenant` is the explicit, rare exception (relay claims, the org switcher).
"""

from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction
from django_scopes import scope, scopes_disabled

_SWAP = (
    "SELECT current_setting('app.organization_id', true), current_setting('app.cross_tenant', true), "
    "set_config('app.organization_id', %s, true), set_config('app.cross_tenant', %s, true)"
)
_RESTORE = "SELECT set_config('app.organization_id', %s, true), set_config('app.cross_tenant', %s, true)"


@contextmanager
def _database_setting(organization_id: str, cross_tenant: str):
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
            if not connection.needs_rollback:
                try:
                    with connection.cursor() as cursor:
                        cursor.execute(_RESTORE, [previous[0] or "", previous[1] or ""])
                except DatabaseError:
                    pass  # the transaction is failing; its rollback discards the local setting anyway


@contextmanager
def organization_context(organization):
    """Run the block as one organisation: scoped managers filter by it and RLS admits only its rows."""
    organization_id = getattr(organization, "pk", organization)
    if organization_id is None:
        raise ValueError("organization_context needs an organisation")
    with scope(organization=organization_id), _database_setting(str(organization_id), ""):
        yield


@contextmanager
def cross_tenant():
    """Lift the tenant guard for an explicit cross-organisation operation. Keep these rare and reviewed."""
    with scopes_disabled(), _database_setting("", "on"):
        yield
