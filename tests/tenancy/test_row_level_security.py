"""Row-level security on PostgreSQL: the database itself refuses to show or write another organisation's rows."""

from contextlib import nullcontext

import pytest
from django.apps import apps
from django.db import IntegrityError, ProgrammingError, connection, transaction

from qms.tenancy.context import organization_context
from qms.tenancy.models import Membership
from qms.tenancy.rls import POLICY, tenant_models
from tests.conftest import APP_ROLE, IS_POSTGRES
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not IS_POSTGRES, reason="row-level security is PostgreSQL's")]


def _count(table, organization_id=None):
    with organization_context(organization_id) if organization_id else nullcontext(), connection.cursor() as cursor:
        cursor.execute(f"SELECT organization_id, count(*) FROM {table} GROUP BY organization_id")
        return dict(cursor.fetchall())


def test_the_suite_runs_as_the_application_role_without_bypassrls(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, bypass, superuser = cursor.fetchone()
    assert user == APP_ROLE
    assert not bypass and not superuser


def test_with_no_organisation_set_a_tenant_table_returns_no_rows(alpha, bravo):
    with transaction.atomic():
        assert _count("tenancy_membership") == {}


def test_with_an_organisation_set_only_its_rows_are_visible(alpha, bravo):
    with transaction.atomic():
        assert _count("tenancy_membership", alpha.organization.pk) == {alpha.organization.pk: 4}
    with transaction.atomic():
        assert _count("tenancy_membership", bravo.organization.pk) == {bravo.organization.pk: 4}


def test_inserting_another_organisations_row_is_refused(alpha, bravo):
    user = UserFactory()
    with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic(), alpha.context():
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tenancy_membership (organization_id, user_id, role, created_at) "
                "VALUES (%s, %s, 'staff', now())",
                [bravo.organization.pk, user.pk],
            )


def test_moving_a_row_to_another_organisation_is_refused(alpha, bravo):
    with pytest.raises(ProgrammingError, match="row-level security"), transaction.atomic(), alpha.context():
        Membership.objects.filter(organization=alpha.organization).update(organization=bravo.organization)


def test_every_tenant_table_has_rls_enabled_forced_and_a_policy(db):
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = %s)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r'
              AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id'
                          AND NOT a.attisdropped)
        """,
            [POLICY],
        )
        tables = {name: (enabled, forced, has_policy) for name, enabled, forced, has_policy in cursor.fetchall()}
    unprotected = sorted(name for name, flags in tables.items() if flags != (True, True, True))
    assert unprotected == [], f"tenant tables without an enforced row-level security policy: {unprotected}"
    model_tables = {m._meta.db_table for m in tenant_models()}
    assert model_tables <= set(tables)
    carrying = {m._meta.db_table for m in apps.get_models() if "organization" in {f.name for f in m._meta.fields}}
    assert carrying - {"audit_auditchainhead"} <= model_tables


def test_every_tenant_table_has_an_index_that_begins_with_organization_id_and_no_single_column_one(db):
    """Every query of a tenant table filters by organisation: a full (not partial) index must begin with it. A
    single-column index on it beside composite ones only costs writes (unless it is the table's unique key)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname,
                   bool_or(i.indpred IS NULL AND a.attname = 'organization_id'),
                   bool_or(i.indnatts = 1 AND NOT i.indisunique AND a.attname = 'organization_id')
            FROM pg_class c JOIN pg_index i ON i.indrelid = c.oid
                 JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
            WHERE c.relname = ANY(%s) GROUP BY c.relname
        """,
            [[m._meta.db_table for m in tenant_models()]],
        )
        found = {name: (leading, single) for name, leading, single in cursor.fetchall()}
    assert sorted(name for name in found if not found[name][0]) == []
    assert sorted(name for name in found if found[name][1]) == []


def test_the_application_role_cannot_update_or_delete_audit_events(alpha):
    for statement in ("UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises((ProgrammingError, IntegrityError)), transaction.atomic(), alpha.context():
            with connection.cursor() as cursor:
                cursor.execute(statement)
