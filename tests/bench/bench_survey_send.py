"""A one-off send to 10,000 contacts: the manager's POST of the send form (every contact of a segment, confirmed)
against a bare COPY of 10,000 rows into an unindexed table as wide as what the send writes for each contact, in the
same run. Target: the send at most 10x the COPY.

The request does what a manager's send does: the session, the organisation's context, the form, the audience check,
the survey and its version locked, 10,000 invitations and 10,000 deferred emails (the outbox worker renders them
later), the audit event, the redirect to the send's page, and the commit, where the foreign keys are checked. The
bare table has the columns of an invitation and those of its email that the send fills (address, token,
Message-ID), one row a contact.

A reference shows how much of the ratio the tables themselves cost: the floor for this schema, the same 10,000
emails and invitations written by one hand-written set-based statement into the real tables (the outbox: five
indexes, one foreign key; the invitations: eleven indexes, six foreign keys; forced row-level security), as the app
role in the organisation's context, the foreign keys checked at once, the rows prepared beforehand, rolled back.
No send beats it with this schema. Each of the three runs ROUNDS times (a new survey each send, the same
contacts), interleaved; the medians are compared.

On SQLite the baseline is one executemany INSERT of the same rows (there is no COPY), and it says so; no floor.
Run with `make bench`. Prints the ratios; no timing assertion (these machines are noisy).
"""

import io
import secrets
import statistics
import time

import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from customers.models import Contact
from qms.outbox.models import OutboxMessage
from surveys.models import Invitation, SurveySend
from tests.bench.panel import SEGMENT, panel
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db(transaction=True)  # the request commits: deferred foreign-key checks count

CONTACTS = 10_000
ROUNDS = 3
BARE_COLUMNS = (
    "id bigint, organization_id bigint, send_id bigint, survey_id bigint, version_id bigint, contact_id bigint, "
    "token_hash text, language text, to_email text, context text, message_id text, state text, "
    "created_at timestamptz, expires_at timestamptz"
)


def _bare_rows(organization_id: int, count: int = CONTACTS) -> list[tuple]:
    now = timezone.now()
    return [
        (n, organization_id, 1, 1, 1, n, secrets.token_hex(32), "en", f"p{n}@panel.example",
         f'{{"token": "{secrets.token_urlsafe(16)}"}}', f"<{secrets.token_hex(12)}@closeloop.local>", "pending", now,
         now)
        for n in range(count)
    ]  # fmt: skip


def _bare_seconds(rows: list[tuple]) -> float:
    """One round of the baseline: COPY from an in-memory buffer (PostgreSQL) or executemany INSERT (SQLite)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TEMPORARY TABLE bench_bare_send ({BARE_COLUMNS})")
            buffer = io.StringIO("".join("\t".join(str(value) for value in row) + "\n" for row in rows))
            start = time.perf_counter()
            cursor.copy_expert("COPY bench_bare_send FROM STDIN", buffer)
        else:
            cursor.execute(f"CREATE TEMPORARY TABLE bench_bare_send ({BARE_COLUMNS})")
            start = time.perf_counter()
            cursor.executemany(f"INSERT INTO bench_bare_send VALUES ({', '.join(['%s'] * len(rows[0]))})", rows)
        elapsed = time.perf_counter() - start
        cursor.execute("SELECT count(*) FROM bench_bare_send")
        assert cursor.fetchone()[0] == len(rows)
        cursor.execute("DROP TABLE bench_bare_send")
    return elapsed


FLOOR = """
    WITH m AS (
        INSERT INTO outbox_outboxmessage (organization_id, purpose, to_email, subject, body_text, body_html, headers,
            renderer, context, message_id, state, attempts, next_attempt_at, last_error, created_at)
        SELECT %(org)s, 'survey-invitation', r.to_email, '', '', '', '{}'::jsonb, 'survey-invitation',
            r.context::jsonb, r.message_id, 'pending', 0, now(), '', now()
        FROM unnest(%(emails)s::text[], %(contexts)s::text[], %(message_ids)s::text[])
            AS r(to_email, context, message_id)
        RETURNING id, message_id
    )
    INSERT INTO surveys_invitation (organization_id, send_id, survey_id, version_id, contact_id, token_hash, language,
        message_id, created_at, expires_at)
    SELECT %(org)s, %(send)s, %(survey)s, %(version)s, r.contact_id, r.token_hash, 'en', m.id, now(),
        now() + interval '30 days'
    FROM unnest(%(contacts)s::bigint[], %(hashes)s::text[], %(message_ids)s::text[]) AS r(contact_id, token_hash,
        message_id)
    JOIN m ON m.message_id = r.message_id
"""


def _floor_seconds(tenant, send: SurveySend, n: int = CONTACTS) -> float:
    """One round of the floor: the send's rows by one set-based statement into the real tables, rolled back."""
    with tenant.context():
        contacts = list(
            Contact.objects.filter(organization=tenant.organization).order_by("pk").values_list("pk", "email")
        )
    params = {
        "org": tenant.organization.pk, "send": send.pk, "survey": send.survey_id, "version": send.version_id,
        "contacts": [pk for pk, _email in contacts], "emails": [email for _pk, email in contacts],
        "contexts": [f'{{"token": "{secrets.token_urlsafe(16)}"}}' for _row in contacts],
        "hashes": [secrets.token_hex(32) for _row in contacts],
        "message_ids": [f"<{secrets.token_hex(12)}@closeloop.local>" for _row in contacts],
    }  # fmt: skip
    with transaction.atomic(), tenant.context(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        start = time.perf_counter()
        cursor.execute(FLOOR, params)
        elapsed = time.perf_counter() - start
        assert cursor.rowcount == n
        transaction.set_rollback(True)
    return elapsed


def _send_seconds(client: Client, tenant) -> float:
    with tenant.context():
        survey = build_survey(tenant.organization)
    start = time.perf_counter()
    response = client.post(
        f"/o/{tenant.slug}/surveys/{survey.pk}/send/", {"audience": "segment", "segment": SEGMENT, "confirm": "1"}
    )
    elapsed = time.perf_counter() - start
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant.context():
        assert Invitation.objects.filter(survey=survey).count() == CONTACTS
    return elapsed


def test_bench_a_send_to_10000_contacts_against_copy(alpha):
    panel(alpha, CONTACTS)
    client = Client()
    client.force_login(alpha.manager)
    rows = _bare_rows(alpha.organization.pk)
    postgres = connection.vendor == "postgresql"
    sends, bare, floors = [], [], []
    for _round in range(ROUNDS):
        bare.append(_bare_seconds(rows))
        sends.append(_send_seconds(client, alpha))
        if postgres:
            with alpha.context():
                latest = SurveySend.objects.latest("pk")
            floors.append(_floor_seconds(alpha, latest))

    with alpha.context():
        assert Invitation.objects.filter(organization=alpha.organization).count() == CONTACTS * ROUNDS
        assert OutboxMessage.objects.filter(purpose="survey-invitation").count() == CONTACTS * ROUNDS
    send, copy = statistics.median(sends), statistics.median(bare)
    baseline = "COPY" if postgres else "executemany INSERT"
    print(
        f"\n[bench] a send to {CONTACTS} contacts ({connection.vendor}): the request {send * 1000:.0f} ms "
        f"(each: {', '.join(f'{s * 1000:.0f}' for s in sends)}), {baseline} of {CONTACTS} rows into a bare table "
        f"{copy * 1000:.0f} ms (each: {', '.join(f'{b * 1000:.0f}' for b in bare)}); ratio {send / copy:.2f}x"
    )
    if postgres:
        floor = statistics.median(floors)
        print(
            f"[bench] floor for this schema (one set-based statement into the real tables under RLS, foreign keys "
            f"checked) {floor * 1000:.0f} ms (each: {', '.join(f'{f * 1000:.0f}' for f in floors)}) = "
            f"{floor / copy:.2f}x COPY; the send is {send / floor:.2f}x that floor"
        )
