"""Row-level security on every tenant table, applied after each migrate (run as the owner role).

The organisation context cannot be forged by SQL the application role runs. The application sets
`app.organization_id` and `app.context_seal`, an HMAC-SHA256 of the organisation id, the connection's backend pid
and the transaction's start time, keyed with TENANT_CONTEXT_KEY (qms.tenancy.context computes it in Python). The
policy admits a row only when `app_organization_id()` — a SECURITY DEFINER function owned by the owner role —
verifies the seal against its copy of the key, which lives in the `app_private` schema that the application role
cannot read. A seal is good for its own transaction on its own connection only: another organisation's id, a seal
read from another session (pg_stat_activity), or one kept from an earlier transaction reads nothing. The function
runs once per query (the policy calls it in a scalar subquery, an InitPlan), so an index on a row condition is
still used.

The application role's few reads across organisations are SECURITY DEFINER functions too (FUNCTIONS below, and
the modules' `database_crossings`): each answers one question and returns ids, never rows of another organisation.
The owner role (migrations, the test suite's tampering) is exempt from the policies by name; the application role
cannot become it.

System mail (no organisation: the password reset) is visible in the system context, organisation 0, on the outbox
table only.
"""

import re
from collections.abc import Callable, Container, Sequence
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.backends.utils import CursorWrapper
from django.db.models import Model

from qms.modules import database_crossings

POLICY = "tenant_isolation"
PREDICATE = "organization_id = (SELECT app_organization_id()) OR (SELECT app_is_owner())"
SYSTEM_ROWS = {"outbox_outboxmessage": "(organization_id IS NULL AND (SELECT app_organization_id()) = 0)"}
APPEND_ONLY_TABLES = ("audit_auditevent", "audit_auditchainhead", "audit_auditcheckpoint")
SYSTEM_ORGANIZATION = 0

# The key the seal is checked against: readable by the owner role (and so by its SECURITY DEFINER functions) alone.
PRIVATE = """
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA IF NOT EXISTS app_private;
REVOKE ALL ON SCHEMA app_private FROM PUBLIC;
CREATE TABLE IF NOT EXISTS app_private.context_key (id smallint PRIMARY KEY CHECK (id = 1), key bytea NOT NULL);
REVOKE ALL ON app_private.context_key FROM PUBLIC;
"""
SET_KEY = (
    "INSERT INTO app_private.context_key (id, key) VALUES (1, %s) ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key"
)

# What the application role may call; each is SECURITY DEFINER with a fixed search_path, owned by the owner role.
FUNCTIONS = """
CREATE OR REPLACE FUNCTION app_organization_id() RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  claimed text := current_setting('app.organization_id', true);
  seal text := current_setting('app.context_seal', true);
  secret bytea;
BEGIN
  IF claimed IS NULL OR seal IS NULL OR claimed !~ '^[0-9]{1,18}$' OR length(seal) <> 64 THEN
    RETURN NULL;
  END IF;
  SELECT k.key INTO secret FROM app_private.context_key k WHERE k.id = 1;
  IF secret IS NULL OR seal <> encode(public.hmac(convert_to(
      claimed || ':' || pg_backend_pid() || ':' || (extract(epoch FROM transaction_timestamp()) * 1000000)::bigint,
      'UTF8'), secret, 'sha256'), 'hex') THEN
    RETURN NULL;
  END IF;
  RETURN claimed::bigint;
END
$$;

CREATE OR REPLACE FUNCTION app_is_owner() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$ SELECT current_user = %(owner)s::name $$;

-- The organisation an invitation's token belongs to (the invitation page, before anyone is a member).
CREATE OR REPLACE FUNCTION app_invitation_organization(token_hash text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT organization_id FROM accounts_invitation WHERE accounts_invitation.token_hash = $1
$$;

-- A person's own current memberships (the organisation switcher): which organisations, and their role there.
CREATE OR REPLACE FUNCTION app_memberships_of(user_id bigint)
RETURNS TABLE (membership_id bigint, organization_id bigint, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT m.id, m.organization_id, m.role FROM tenancy_membership m
  WHERE m.user_id = $1 AND m.removed_at IS NULL AND (m.expires_at IS NULL OR m.expires_at > now())
$$;

-- Which organisations have mail due (0 for system mail): the relay then claims it inside each one's context.
CREATE OR REPLACE FUNCTION app_organizations_with_mail_due(due_by timestamptz) RETURNS SETOF bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
  SELECT DISTINCT coalesce(organization_id, 0) FROM outbox_outboxmessage
  WHERE state = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
$$;
"""
FUNCTION_NAME = re.compile(r"CREATE OR REPLACE FUNCTION (app_\w+)\(")


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
        cursor.execute(PRIVATE)
        cursor.execute(SET_KEY, [settings.TENANT_CONTEXT_KEY])
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        existing = set(connection.introspection.table_names(cursor))
        owner_name = "'" + owner.replace("'", "''") + "'"
        statements = [*FUNCTIONS.strip().split("\n\n"), *database_crossings()]
        for statement in statements:
            if any(table not in existing for table in re.findall(r"\bFROM ([a-z]+_[a-z]+)\b(?![.(])", statement)):
                continue  # an earlier state of the schema (a migrate backwards): the migrate that adds it makes it
            cursor.execute(statement.replace("%(owner)s", owner_name))
        for model in tenant_models():
            table_name = model._meta.db_table
            if table_name not in ready:
                continue
            table = quote(table_name)
            predicate = PREDICATE + (f" OR {SYSTEM_ROWS[table_name]}" if table_name in SYSTEM_ROWS else "")
            cursor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
            cursor.execute(f"CREATE POLICY {POLICY} ON {table} USING ({predicate}) WITH CHECK ({predicate})")
        for table_name in APPEND_ONLY_TABLES:  # the owner too: TRUNCATE is refused by trigger and by privilege
            if table_name in existing:
                cursor.execute(f"REVOKE TRUNCATE ON {quote(table_name)} FROM PUBLIC, CURRENT_USER")
        role = settings.DATABASE_APP_ROLE
        if role:
            functions = [name for statement in statements for name in FUNCTION_NAME.findall(statement)]
            grant_application_role(cursor, quote(role), quote, existing=existing, functions=functions)


def grant_application_role(
    cursor: CursorWrapper,
    role: str,
    quote: Callable[[str], str],
    *,
    existing: Container[str],
    functions: Sequence[str] = (),
) -> None:
    cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
    cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
    for table in APPEND_ONLY_TABLES:
        if table in existing:
            cursor.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {quote(table)} FROM {role}")
    cursor.execute(f"REVOKE ALL ON SCHEMA app_private FROM {role}")
    cursor.execute("SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.proname = ANY(%s)", [list(functions)])
    for (function,) in cursor.fetchall():
        cursor.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        cursor.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {role}")
