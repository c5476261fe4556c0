"""A slug's or a link's request sends the organisation's sealed setting ahead of its first statement, in the same
message (qms.tenancy.context._SettingFirst): one round trip fewer a request. Whatever that first statement is, it
and every one after it run as the organisation, and only as it; a statement that goes around Django's cursor before
the setting was sent sees nothing at all, never another organisation's rows."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from qms.tenancy.context import _enter_by_slug_sql, entered_from_row, request_organization_context
from tests.conftest import IS_POSTGRES

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not IS_POSTGRES, reason="the setting is PostgreSQL's")]

ORGANISATIONS = "SELECT DISTINCT organization_id FROM tenancy_membership"


def _setting(cursor):
    cursor.execute("SELECT current_setting('app.organization_id', true)")
    return cursor.fetchone()[0]


def _visible(cursor):
    cursor.execute(ORGANISATIONS, [])
    return {row[0] for row in cursor.fetchall()}


def test_the_first_statement_carries_the_setting_and_sees_its_organisation_only(alpha, bravo):
    with request_organization_context("alpha") as organization, CaptureQueriesContext(connection) as captured:
        with connection.cursor() as cursor:
            assert _visible(cursor) == {organization.pk}
            assert _visible(cursor) == {organization.pk}
    first, second = (query["sql"] for query in captured.captured_queries[:2])
    assert first.startswith("SELECT set_config('app.organization_id'") and first.endswith(ORGANISATIONS)
    assert second == ORGANISATIONS, "sent once"


@pytest.mark.parametrize("first", ["no parameters", "many rows", "a server-side cursor", "a savepoint"])
def test_a_first_statement_the_setting_cannot_precede_in_one_text_still_runs_as_the_organisation(alpha, bravo, first):
    with request_organization_context("alpha") as organization:
        if first == "no parameters":  # its `%` would be literal: the setting goes just before it
            with connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('app.organization_id', true) WHERE '%' = '%'")
                assert cursor.fetchone()[0] == str(organization.pk)
        elif first == "many rows":
            with connection.cursor() as cursor:
                cursor.executemany("SELECT %s", [(1,), (2,)])
        elif first == "a server-side cursor":  # its DECLARE … CURSOR FOR takes one statement
            with connection.chunked_cursor() as cursor:
                cursor.execute(ORGANISATIONS, [])
                assert {row[0] for row in cursor.fetchall()} == {organization.pk}
        else:  # set before the savepoint, so its rollback keeps it
            with pytest.raises(RuntimeError), transaction.atomic(), connection.cursor() as cursor:
                _visible(cursor)
                raise RuntimeError
        with connection.cursor() as cursor:
            assert _setting(cursor) == str(organization.pk)
            assert _visible(cursor) == {organization.pk}


def test_a_statement_around_djangos_cursor_before_the_setting_sees_nothing(alpha, bravo):
    with request_organization_context("alpha") as organization:
        with connection.connection.cursor() as raw:  # the driver's own cursor: no execute wrapper
            raw.execute(ORGANISATIONS)
            assert raw.fetchall() == []
        with connection.cursor() as cursor:
            assert _visible(cursor) == {organization.pk}


def test_a_block_that_ran_nothing_restores_nothing_and_the_next_one_sees_its_own(alpha, bravo):
    with CaptureQueriesContext(connection) as captured, request_organization_context("alpha"):
        pass
    assert not any("set_config" in query["sql"] for query in captured.captured_queries)
    with request_organization_context("bravo") as organization, connection.cursor() as cursor:
        assert _visible(cursor) == {organization.pk}
    with connection.cursor() as cursor:
        assert _setting(cursor) in ("", None), "restored after a block that ran statements"


def test_a_block_entered_inside_one_whose_setting_was_not_sent_yet_runs_as_the_inner_organisation(alpha, bravo):
    """The outer block's setting is sent before the inner one's is kept (the wrappers would otherwise put the outer
    one last in the text, and the statement would run as the outer organisation)."""
    with request_organization_context("alpha"):
        with connection.connection.cursor() as raw:  # bravo's row read without a statement of Django's
            raw.execute(_enter_by_slug_sql(), ["bravo"])
            row = raw.fetchone()
        with entered_from_row(row, outermost=False) as inner, connection.cursor() as cursor:
            assert _visible(cursor) == {inner.pk}
        with connection.cursor() as cursor:  # restored to what the row said was set when it was read: nothing yet
            assert _visible(cursor) == set(), "after it, as the row read before the outer setting was sent: no rows"
