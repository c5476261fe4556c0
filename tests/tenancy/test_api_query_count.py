"""What one tenant API request costs in database statements, whatever the number of rows it lists.

A list request inside the test's transaction is, on PostgreSQL: SAVEPOINT; the organisation looked up, with what
the context's seal binds to (one statement); the token with its membership and user, the sealed setting made ahead
of it in the same statement (one); the page of rows (one); the setting restored; RELEASE SAVEPOINT. A page shorter
than a full one needs no COUNT. On SQLite there is no setting to make or restore. In production the request's
transaction is the outermost one, so nothing restores the setting: the transaction's end discards it.
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from qms.tenancy.models import Membership, Role
from qms.tenancy.sql import statement_of
from tests.conftest import IS_POSTGRES
from tests.factories import ApiTokenFactory, MembershipFactory

MEMBERS = "/api/v1/o/alpha/members/"
KEY = "cl_alpha-query-count-key"
# SAVEPOINT, organisation, (the sealed setting and) token, page, (restore the setting), RELEASE
LIST_STATEMENTS = 6 if IS_POSTGRES else 5


def _token(tenant, *, last_used_at):
    with tenant.context():
        owner = Membership.objects.get(organization=tenant.organization, user=tenant.owner)
    return ApiTokenFactory(membership=owner, key=KEY, last_used_at=last_used_at)


def _statements(path=MEMBERS, **params):
    with CaptureQueriesContext(connection) as captured:
        response = Client().get(path, params, headers={"authorization": f"Bearer {KEY}"})
    assert response.status_code == 200, response.content
    return [statement_of(query["sql"]) for query in captured.captured_queries], response.json()


def _counts(statements):
    return [sql for sql in statements if "COUNT(" in sql.upper()]


def test_a_tenant_api_list_costs_the_same_statements_for_four_rows_or_forty_four(alpha):
    _token(alpha, last_used_at=timezone.now())
    few, body = _statements()
    assert body["count"] == 4
    MembershipFactory.create_batch(40, organization=alpha.organization)
    many, body = _statements()
    assert body["count"] == 44 and len(body["results"]) == 44
    assert len(few) == len(many) == LIST_STATEMENTS, many
    assert _counts(many) == [], "a page shorter than a full one needs no COUNT"
    assert sum("tenancy_organization" in sql for sql in many) == 1
    assert sum("accounts_apitoken" in sql for sql in many) == 1, "the token, its membership and user: one query"


def test_a_full_page_costs_one_count_more_and_the_page_after_it_none(alpha):
    _token(alpha, last_used_at=timezone.now())
    MembershipFactory.create_batch(56, organization=alpha.organization)  # 60 members: a full page and ten
    first, body = _statements()
    assert (body["count"], len(body["results"]), body["previous"]) == (60, 50, None)
    assert body["next"].endswith("?page=2")
    assert len(first) == LIST_STATEMENTS + 1 and len(_counts(first)) == 1
    second, body = _statements(page=2)
    assert (body["count"], len(body["results"]), body["next"]) == (60, 10, None)
    assert len(second) == LIST_STATEMENTS and _counts(second) == []


def test_the_token_records_its_use_at_most_once_a_minute(alpha):
    _token(alpha, last_used_at=None)
    first, _ = _statements()
    again, _ = _statements()
    assert sum(sql.startswith("UPDATE") for sql in first) == 1
    assert len(first) == LIST_STATEMENTS + 1
    assert len(again) == LIST_STATEMENTS and not any(sql.startswith("UPDATE") for sql in again)


def test_the_settings_of_a_request_inside_a_transaction_are_restored_after_it(alpha):
    _token(alpha, last_used_at=timezone.now())
    statements, _ = _statements()
    assert _setting() in ("", None)
    if IS_POSTGRES:
        assert statements[-2].startswith("SELECT set_config('app.organization_id'"), "restored before the release"


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRES, reason="the RLS setting is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_request_in_its_own_transaction_restores_nothing_and_leaves_nothing_set(alpha, bravo):
    _token(alpha, last_used_at=timezone.now())
    statements, body = _statements()
    assert {row["email"] for row in body["results"]} == {f"{role}@alpha.test" for role in Role.values}
    # BEGIN, the organisation, the sealed setting with the token, the page, COMMIT.
    assert len(statements) == 5 and (statements[0], statements[-1]) == ("BEGIN", "COMMIT"), statements
    setting = [sql for sql in statements if sql.startswith("SELECT set_config")]
    assert len(setting) == 1, "made once; the commit discards it, so nothing restores it"
    assert "accounts_apitoken" in setting[0], "made in the same statement as the token's lookup"
    assert _setting() in ("", None)
    assert not connection.in_atomic_block


def _setting():
    if not IS_POSTGRES:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.organization_id', true)")
        return cursor.fetchone()[0]
