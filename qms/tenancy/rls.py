"""Row-level security on every tenant table, applied after each migrate (run as the owner role)."""

from collections.abc import Callable, Container
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.backends.utils import CursorWrapper
from django.db.models import Model

POLICY = "tenant_isolation"
PREDICATE = (
    "organization_id = NULLIF(current_setting('app.organization_id', true), '')::bigint "
    "OR current_setting('app.cross_tenant', true) = 'on'"
)
APPEND_ONLY_TABLES = ("audit_auditevent",)


def tenant_models() -> list[type[Model]]:
    return [m for m in apps.get_models() if getattr(m, "tenant_rls", False) and m._meta.managed]


def apply_row_level_security(using: str = "default", **kwargs: Any) -> None:
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        # A migrate to an earlier migration (or of one app) leaves some tables of today's models still to come, or
        # not yet with their organisation column: those get their policy from the migrate that completes them.
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name = 'organization_id'"
        )
        ready = {row[0] for row in cursor.fetchall()}
        for model in tenant_models():
            if model._meta.db_table not in ready:
                continue
            table = quote(model._meta.db_table)
            cursor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
            cursor.execute(f"CREATE POLICY {POLICY} ON {table} USING ({PREDICATE}) WITH CHECK ({PREDICATE})")
        role = settings.DATABASE_APP_ROLE
        if role:
            existing = set(connection.introspection.table_names(cursor))
            grant_application_role(cursor, quote(role), quote, existing=existing)


def grant_application_role(
    cursor: CursorWrapper, role: str, quote: Callable[[str], str], *, existing: Container[str]
) -> None:
    cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    for table in APPEND_ONLY_TABLES:
        if table in existing:
            cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {quote(table)} FROM {role}")
