"""The hand-written lookups every request makes are prepared statements of a persistent connection from their
second run on it (planned once, not on every request), answer as they did, and are never prepared when
CONN_MAX_AGE=0, as behind a transaction pooler, where a later transaction may reach a server connection that never
saw the PREPARE (qms.tenancy.sql.execute)."""

from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from qms.tenancy.resolution import ORGANIZATION, organization_by_slug_sql
from qms.tenancy.sql import Columns, execute, fetch_one, statement_of
from tests.conftest import IS_POSTGRES
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.skipif(not IS_POSTGRES, reason="prepared statements of PostgreSQL")]


def _lookups(slug, times):
    # A statement of its own (its name comes from its text), whatever this connection ran before.
    sql = organization_by_slug_sql("postgresql") + f" /* {uuid4().hex} */"
    found, statements = [], []
    for _ in range(times):
        with CaptureQueriesContext(connection) as captured:
            found.append(fetch_one(sql, [slug], ORGANIZATION))
        statements.append([query["sql"] for query in captured.captured_queries])
    return sql, [row[0] if row else None for row in found], statements


def test_a_lookup_runs_as_written_once_then_prepared_on_a_persistent_connection(alpha, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    sql, found, statements = _lookups(alpha.slug, 3)
    assert found == [alpha.organization] * 3
    first, second, third = statements
    name = third[0].split()[1]
    assert first == [sql.replace("%s", f"'{alpha.slug}'")]
    prepare = [query for query in second if not query.startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert prepare == [f"PREPARE {name} AS {sql.replace('%s', '$1')}", f"EXECUTE {name} ('{alpha.slug}')"]
    assert third == [f"EXECUTE {name} ('{alpha.slug}')"]
    assert statement_of(third[0]) == sql  # what tests and debugging read of a request's statements
    ahead = "SELECT set_config('app.organization_id', '1', true)"  # the setting sent ahead of it (tenancy.context)
    assert statement_of(f"{ahead}; {third[0]}") == f"{ahead}; {sql}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE name = %s", [name])
        assert cursor.fetchone()[0].startswith(f"PREPARE {name} AS SELECT")
    assert fetch_one(sql, ["no-such-slug"], ORGANIZATION) is None  # another value, the same plan


def test_with_conn_max_age_0_nothing_is_prepared(alpha, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    sql, found, statements = _lookups(alpha.slug, 3)
    assert found == [alpha.organization] * 3
    assert statements == [[sql.replace("%s", f"'{alpha.slug}'")]] * 3


def test_a_statement_postgresql_cannot_prepare_runs_as_written_and_the_transaction_goes_on(alpha, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    sql = f"SELECT %s /* {uuid4().hex} */"  # a parameter of no type PostgreSQL can tell: PREPARE refuses it
    answers = []
    with connection.cursor() as cursor:
        for _ in range(3):
            execute(cursor, sql, ["still here"])
            answers.append(cursor.fetchone()[0])
        cursor.execute("SELECT 1")  # the request's transaction was not broken by the refused PREPARE
        assert cursor.fetchone() == (1,)
    assert answers == ["still here"] * 3


def test_a_prepared_read_of_a_tenant_table_admits_only_the_organisation_of_each_run(alpha, bravo, monkeypatch):
    """Planned once (a generic plan after PostgreSQL's first five runs), the read is still checked by row-level
    security at every run: another organisation's context reads none of alpha's rows through it."""
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    with alpha.context():
        ours = CustomerFactory(organization=alpha.organization, name="Alpha's own")
    with bravo.context():
        theirs = CustomerFactory(organization=bravo.organization, name="Bravo's own")
    customer = Columns(Customer, "c")
    sql = f"SELECT {customer.sql()} FROM {customer.table()} WHERE {customer.column('id')} = %s /* {uuid4().hex} */"
    with alpha.context():
        assert [fetch_one(sql, [ours.pk], customer)[0].name for _ in range(8)] == ["Alpha's own"] * 8
    with bravo.context():
        assert fetch_one(sql, [ours.pk], customer) is None
        assert fetch_one(sql, [theirs.pk], customer)[0].name == "Bravo's own"
    with connection.cursor() as cursor:
        cursor.execute("SELECT generic_plans FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{sql[-36:]}"])
        assert cursor.fetchone()[0] >= 1  # the plan the other organisation ran was the one planned for alpha's
