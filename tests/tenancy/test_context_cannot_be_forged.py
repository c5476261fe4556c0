"""The organisation context holds against SQL the application role runs itself (a future SQL injection): on a
connection of its own as closeloop_app, a transaction entered into organisation A as the application enters it
reads and writes A's rows only, whatever setting it changes, role it tries or function it calls; with no context
it reads nothing."""

import psycopg2
import pytest
from django.db import connection

from qms.tenancy.context import enter_on
from tests.conftest import APP_ROLE, IS_POSTGRES, make_tenant
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not IS_POSTGRES, reason="row-level security is PostgreSQL's")]

SET = "SELECT set_config('app.organization_id', %s, true), set_config('app.context_seal', %s, true)"
# Every function of the database's own schemas the application role may call: a new one must be added here (and
# tried below) on purpose. pgcrypto's functions (digest, hmac, gen_random_bytes…) are not ours and touch no table.
CROSSINGS = {
    "app_organization_id()",
    "app_is_owner()",
    "app_invitation_organization(text)",
    "app_memberships_of(bigint)",
    "app_organizations_with_mail_due(timestamp with time zone)",
    "app_organizations_with_imports()",
    "app_survey_link_organization(text)",
    "app_organizations_with_unsealed_responses()",
    "app_organizations_with_due_follow_ups()",
    "app_organizations_with_due_campaign_steps(timestamp with time zone)",
}


@pytest.fixture
def tenants(transactional_db):
    return make_tenant("alpha", "Alpha Instruments"), make_tenant("bravo", "Bravo Secret Holdings")


@pytest.fixture
def app_sql(tenants):
    """A connection of its own, logged in as the application role (committed rows only)."""
    settings = connection.settings_dict
    conn = psycopg2.connect(
        dbname=settings["NAME"], user=APP_ROLE, host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432
    )
    yield conn
    conn.close()


def _enter(cursor, organization_id):
    """As the application enters: the seal of this organisation, this backend and this transaction."""
    enter_on(cursor, organization_id)


def _visible(cursor, table="tenancy_membership"):
    cursor.execute(f"SELECT DISTINCT organization_id FROM {table}")
    return {row[0] for row in cursor.fetchall()}


def _refused(conn, statement, params=()):
    """Run a statement that must fail; the transaction is rolled back (and left with no context)."""
    with conn.cursor() as cursor:
        try:
            cursor.execute(statement, params)
        except psycopg2.Error as exc:
            conn.rollback()
            return exc
    conn.rollback()
    raise AssertionError(f"not refused: {statement}")


def test_with_no_context_the_application_role_reads_nothing(app_sql):
    with app_sql.cursor() as cursor:
        for table in ("tenancy_membership", "audit_auditevent", "accounts_invitation"):
            assert _visible(cursor, table) == set()


def test_an_entered_context_reads_its_own_organisation_only(app_sql, tenants):
    alpha, bravo = tenants
    with app_sql.cursor() as cursor:
        _enter(cursor, alpha.organization.pk)
        assert _visible(cursor) == {alpha.organization.pk}


def test_claiming_another_organisation_or_the_old_escape_hatch_gains_nothing(app_sql, tenants):
    alpha, bravo = tenants
    with app_sql.cursor() as cursor:
        _enter(cursor, alpha.organization.pk)
        cursor.execute("SELECT set_config('app.cross_tenant', 'on', true)")
        assert _visible(cursor) == {alpha.organization.pk}
        cursor.execute("SELECT current_setting('app.context_seal')")
        seal = cursor.fetchone()[0]
        cursor.execute(SET, [str(bravo.organization.pk), seal])  # alpha's seal on bravo's id
        assert _visible(cursor) == set()
        cursor.execute("SELECT set_config('app.organization_id', %s, false)", [str(bravo.organization.pk)])
        cursor.execute("SELECT set_config('app.context_seal', repeat('0', 64), false)")
        assert _visible(cursor) == set()
        for name in ("app.organization_id", "app.context_seal"):
            cursor.execute("SELECT set_config(%s, '', false)", [name])
        assert _visible(cursor) == set()


def test_a_seal_from_another_connection_or_an_earlier_transaction_reads_nothing(app_sql, tenants):
    alpha, bravo = tenants
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"], user=APP_ROLE, host=settings["HOST"] or "127.0.0.1", port=settings["PORT"] or 5432
    )
    try:
        with other.cursor() as theirs:  # bravo's request, seen (say) in pg_stat_activity
            _enter(theirs, bravo.organization.pk)
            theirs.execute("SELECT current_setting('app.organization_id'), current_setting('app.context_seal')")
            bravo_setting = theirs.fetchone()
            assert _visible(theirs) == {bravo.organization.pk}
            with app_sql.cursor() as cursor:
                cursor.execute(SET, list(bravo_setting))
                assert _visible(cursor) == set()
    finally:
        other.close()
    with app_sql.cursor() as cursor:  # alpha's own seal, kept past its transaction
        _enter(cursor, alpha.organization.pk)
        cursor.execute("SELECT current_setting('app.organization_id'), current_setting('app.context_seal')")
        kept = cursor.fetchone()
        app_sql.commit()
        cursor.execute(SET, list(kept))
        assert _visible(cursor) == set()


def test_no_role_or_setting_lifts_the_policy(app_sql, tenants):
    alpha, bravo = tenants
    for statement in ("SET ROLE closeloop_owner", "SET ROLE postgres", "SET SESSION AUTHORIZATION closeloop_owner"):
        _refused(app_sql, statement)
    with app_sql.cursor() as cursor:
        _enter(cursor, alpha.organization.pk)
        cursor.execute("SET LOCAL row_security = off")  # a query a policy would affect is then an error
    error = _refused(app_sql, "SELECT count(*) FROM tenancy_membership")
    assert "row-level security" in str(error)
    error = _refused(app_sql, "SELECT key FROM app_private.context_key")
    assert "permission denied" in str(error)


def test_every_function_the_application_role_may_call_is_known_and_crosses_nothing(app_sql, tenants):
    alpha, bravo = tenants
    with app_sql.cursor() as cursor:
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND p.proname LIKE 'app\\_%%' "
            "AND has_function_privilege(p.oid, 'EXECUTE')"
        )
        assert {row[0] for row in cursor.fetchall()} == CROSSINGS
        _enter(cursor, alpha.organization.pk)
        bravo_member = bravo.owner.pk
        for call, params in (
            ("SELECT app_organization_id()", []),
            ("SELECT app_is_owner()", []),
            ("SELECT app_invitation_organization(%s)", ["no-such-token"]),
            ("SELECT * FROM app_memberships_of(%s)", [bravo_member]),
            ("SELECT app_organizations_with_mail_due(now())", []),
            ("SELECT app_organizations_with_imports()", []),
            ("SELECT app_survey_link_organization(%s)", ["no-such-token"]),
            ("SELECT app_organizations_with_unsealed_responses()", []),
            ("SELECT app_organizations_with_due_follow_ups()", []),
            ("SELECT app_organizations_with_due_campaign_steps(now())", []),
        ):
            cursor.execute(call, params)
            for row in cursor.fetchall():  # ids and roles, never another organisation's rows
                assert all(isinstance(value, (int, str, bool, type(None))) for value in row)
            assert _visible(cursor) == {alpha.organization.pk}, call
        cursor.execute("SELECT app_organization_id(), app_is_owner()")
        assert cursor.fetchone() == (alpha.organization.pk, False)


def test_writes_reach_the_entered_organisation_only(app_sql, tenants):
    alpha, bravo = tenants
    user = UserFactory()
    with app_sql.cursor() as cursor:
        _enter(cursor, alpha.organization.pk)
        cursor.execute("UPDATE tenancy_membership SET role = role WHERE organization_id = %s", [bravo.organization.pk])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM tenancy_membership WHERE organization_id = %s", [bravo.organization.pk])
        assert cursor.rowcount == 0
    app_sql.rollback()
    with app_sql.cursor() as cursor:
        _enter(cursor, alpha.organization.pk)
    error = _refused(
        app_sql,
        "INSERT INTO tenancy_membership (organization_id, user_id, role, created_at) VALUES (%s, %s, 'owner', now())",
        [bravo.organization.pk, user.pk],
    )
    assert "row-level security" in str(error)
