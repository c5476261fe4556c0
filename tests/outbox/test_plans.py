"""A batch's statements find its rows by their primary keys, even while PostgreSQL's statistics still describe the
outbox as it was before a wave of thousands was written at once (autovacuum's ANALYZE comes later): asked for the
pending among a list of keys, the planner that believes nothing is pending walks the whole pending index instead,
every due row for each batch, chunk and message (26 ms a batch read with 100,000 due, a third of a wave's time)."""

import json
import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from qms import modules
from qms.outbox.delivery import outbox_deliver_batch, outbox_lease_renew, release
from qms.outbox.models import OutboxMessage
from qms.outbox.rendering import RenderedEmail
from qms.outbox.services import email_enqueue_many
from tests.conftest import as_owner
from tests.outbox.conftest import outbox_row

pytestmark = pytest.mark.django_db(transaction=True)

TABLE = OutboxMessage._meta.db_table
DUE_INDEXES = {"outbox_due", "outbox_org_due", "outbox_leased"}
BY_KEYS = re.compile(r'\bid"? IN \(')


@pytest.fixture(autouse=True)
def renderers(monkeypatch):
    monkeypatch.setattr(modules, "email_renderers", lambda: {"test.plan": lambda m: RenderedEmail("Hi", "Hello\n")})


def _wave(tenant, count):
    with transaction.atomic(), tenant.context():
        rows = [(f"p{n}@example.com", {"n": n}) for n in range(count)]
        return email_enqueue_many(organization=tenant.organization, renderer="test.plan", rows=rows, nudge=False)


def _indexes(plan):
    found = {plan["Index Name"]} if "Index Name" in plan else set()
    for child in plan.get("Plans", []):
        found |= _indexes(child)
    return found


def _plans(tenant, statements):
    """The indexes each statement on the outbox that names its rows' keys would read, as the application role."""
    plans = {}
    with transaction.atomic(), tenant.context(), connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0]
            plans[sql] = _indexes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return plans


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner and statistics")
def test_a_batch_reads_and_locks_its_rows_by_key_while_the_statistics_say_nothing_is_pending(alpha, smtp_sink):
    sent = _wave(alpha, 300)
    with as_owner(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET state = 'sent' WHERE id IN %s", [tuple(sent)])  # noqa: S608
        cursor.execute(f"ANALYZE {TABLE}")  # what autovacuum last saw: nothing pending
    wave = _wave(alpha, 3000)

    with CaptureQueriesContext(connection) as captured:
        outcomes = outbox_deliver_batch(organization_id=alpha.organization.pk, message_ids=wave[:40])
        renewing, releasing = [outbox_row(pk) for pk in wave[40:60]], [outbox_row(pk) for pk in wave[60:80]]
        with scope(organization=alpha.organization.pk):  # as inside the batch
            outbox_lease_renew(organization_id=alpha.organization.pk, messages=renewing, now=timezone.now())
            release(alpha.organization.pk, releasing, error="away", now=timezone.now())

    assert outcomes["sent"] == 40
    assert len(smtp_sink.accepted_ids()) == 40
    by_key = [q["sql"] for q in captured.captured_queries if TABLE in q["sql"] and BY_KEYS.search(q["sql"])]
    reads = [sql for sql in by_key if sql.startswith("SELECT")]
    writes = [sql for sql in by_key if sql.startswith("UPDATE")]
    assert len(reads) >= 3 and len(writes) >= 2, by_key  # the batch read, a lock per chunk; renewed, released
    plans = _plans(alpha, by_key)
    assert {sql: indexes & DUE_INDEXES for sql, indexes in plans.items() if indexes & DUE_INDEXES} == {}
    assert all(f"{TABLE}_pkey" in indexes for indexes in plans.values()), plans
    assert [outbox_row(pk).state for pk in wave[:40]] == [OutboxMessage.State.SENT] * 40
    assert all(outbox_row(pk).lease_until is not None for pk in wave[40:60])
    assert all(outbox_row(pk).lease_until is None and outbox_row(pk).last_error == "away" for pk in wave[60:80])


def test_keys_of_another_organisation_in_a_batch_are_neither_sent_locked_nor_touched(alpha, bravo, smtp_sink):
    """Rows picked by key alone are still the batch's organisation's only (its scope and row-level security): keys of
    another organisation's pending mail handed to a batch, a renewal or a release change nothing of it."""
    mine, theirs = _wave(alpha, 5), _wave(bravo, 5)

    outcomes = outbox_deliver_batch(organization_id=alpha.organization.pk, message_ids=[*mine, *theirs])
    with scope(organization=alpha.organization.pk):
        strangers = [outbox_row(pk) for pk in theirs]
        renewed = outbox_lease_renew(organization_id=alpha.organization.pk, messages=strangers, now=timezone.now())
        released = release(alpha.organization.pk, strangers, error="away", now=timezone.now())

    assert (outcomes["sent"], outcomes["skipped"], renewed, released) == (5, 5, 0, 0)
    assert len(smtp_sink.accepted_ids()) == 5
    assert [(row.state, row.lease_until, row.last_error) for row in map(outbox_row, theirs)] == [
        (OutboxMessage.State.PENDING, None, "")
    ] * 5
