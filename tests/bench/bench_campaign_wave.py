"""Building a campaign wave of 100,000 invitations (BENCH_WAVE_N) against a bare COPY of as many rows, in the same
run. Target: the wave at most 5x the COPY.

The wave is built as beat builds it: the due step claimed and locked, the audience read (every contact of a
segment), the exclusions computed (consent, deliverability, the contact rule across campaigns, the translation of
each contact's language), one send, its invitations and their deferred emails written set-based, the reminder and
expiry steps and the next wave scheduled, the audit event, the commit. Nothing is rendered: the workers render each
email from the version when they send it. The bare table and its COPY are bench_survey_send's (an invitation's and
its email's columns, one row a contact); the floor is the same rows by one hand-written set-based statement into the
real tables (indexes, foreign keys, row-level security), rolled back.

On SQLite the baseline is one executemany INSERT of the same rows (there is no COPY), and it says so; no floor.
Run with `make bench PYTEST_ARGS=tests/bench/bench_campaign_wave.py`. Prints the ratios; no timing assertion.
"""

import io
import os
import secrets
import statistics
import time
from datetime import timedelta

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from customers.models import Contact
from surveys.models import Campaign, CampaignStep, Invitation, SurveySend
from surveys.services.campaigns import campaign_create, campaign_launch, steps_run
from tests.bench.bench_survey_send import _bare_rows, _bare_seconds, _floor_seconds
from tests.bench.panel import SEGMENT, panel
from tests.surveys.builders import build_survey

pytestmark = pytest.mark.django_db(transaction=True)  # beat's step commits: deferred foreign-key checks count

CONTACTS = int(os.environ.get("BENCH_WAVE_N", "100000"))


def _copy_into_the_tables_seconds(tenant, send: SurveySend) -> float:
    """The wave's rows COPied into the real tables (the outbox's emails, then the invitations pointing at them, ids
    drawn beforehand), foreign keys checked at once; rolled back. PostgreSQL refuses COPY FROM where row-level
    security applies, so this runs on a connection of the `postgres` superuser, which it does not bind."""
    with tenant.context():
        contacts = list(Contact.objects.filter(organization=tenant.organization).values_list("pk", "email"))
    org, now = tenant.organization.pk, timezone.now().isoformat()
    database = connection.settings_dict
    superuser = psycopg2.connect(
        dbname=database["NAME"], host=database["HOST"], port=database["PORT"] or 5432, user="postgres"
    )
    with superuser, superuser.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('outbox_outboxmessage', 'id')) FROM generate_series(1, %s)",
            [len(contacts)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        emails = io.StringIO("".join(
            f"{pk}\t{org}\tsurvey-invitation\t{email}\t\t\t\t{{}}\tsurvey-invitation\t"
            f'{{"token": "{secrets.token_urlsafe(16)}"}}\t<{secrets.token_hex(12)}@closeloop.local>\tpending\t0\t'
            f"{now}\t\t{now}\n"
            for pk, (_contact, email) in zip(ids, contacts, strict=True)
        ))  # fmt: skip
        invitations = io.StringIO("".join(
            f"{org}\t{send.pk}\t{send.survey_id}\t{send.version_id}\t{contact}\t{secrets.token_hex(32)}\ten\t"
            f"{pk}\t{now}\t{now}\n"
            for pk, (contact, _email) in zip(ids, contacts, strict=True)
        ))  # fmt: skip
        start = time.perf_counter()
        cursor.copy_expert(
            "COPY outbox_outboxmessage (id, organization_id, purpose, to_email, subject, body_text, body_html, "
            "headers, renderer, context, message_id, state, attempts, next_attempt_at, last_error, created_at) "
            "FROM STDIN",
            emails,
        )
        cursor.copy_expert(
            "COPY surveys_invitation (organization_id, send_id, survey_id, version_id, contact_id, token_hash, "
            "language, message_id, created_at, expires_at) FROM STDIN",
            invitations,
        )
        elapsed = time.perf_counter() - start
        superuser.rollback()
    superuser.close()
    return elapsed


def _wave_seconds(tenant) -> float:
    now = timezone.now()
    with tenant.context():
        survey = build_survey(tenant.organization)
        campaign = campaign_create(
            organization=tenant.organization, actor=tenant.manager, name="Bench wave", survey=survey,
            audience=Campaign.Audience.SEGMENT, audience_value=SEGMENT, every=Campaign.Every.QUARTER,
            start_on=timezone.localdate(now + timedelta(days=1)), at=(now + timedelta(days=1)).time(),
            expiry_days=30, reminders=[],
        )  # fmt: skip
        campaign = campaign_launch(campaign=campaign, actor=tenant.manager, now=now)
        due = CampaignStep.objects.get(campaign=campaign, kind=CampaignStep.Kind.WAVE).due_at
    start = time.perf_counter()
    with tenant.context():
        assert steps_run(organization=tenant.organization, now=due) == 1
    elapsed = time.perf_counter() - start
    with tenant.context():
        assert Invitation.objects.filter(send__campaign=campaign).count() == CONTACTS
    return elapsed


def test_bench_a_campaign_wave_of_100000_against_copy(alpha):
    panel(alpha, CONTACTS)
    rows = _bare_rows(alpha.organization.pk, CONTACTS)
    postgres = connection.vendor == "postgresql"
    bare = [_bare_seconds(rows) for _round in range(3)]
    wave = _wave_seconds(alpha)
    copy = statistics.median(bare)
    baseline = "COPY" if postgres else "executemany INSERT"
    print(
        f"\n[bench] a campaign wave of {CONTACTS} invitations ({connection.vendor}): built by beat's step in "
        f"{wave * 1000:.0f} ms; {baseline} of the same rows into a bare, unindexed table {copy * 1000:.0f} ms "
        f"(each: {', '.join(f'{b * 1000:.0f}' for b in bare)}): {wave / copy:.2f}x"
    )
    if postgres:
        with alpha.context():
            latest = SurveySend.objects.latest("pk")
        tables = statistics.median([_copy_into_the_tables_seconds(alpha, latest) for _round in range(3)])
        floor = _floor_seconds(alpha, latest, CONTACTS)
        print(
            f"[bench] COPY of the same rows into the real tables (the emails, then the invitations; their indexes and "
            f"foreign keys) {tables * 1000:.0f} ms: the wave is {wave / tables:.2f}x that COPY "
            f"(target <= 5x)\n"
            f"[bench] one hand-written set-based INSERT of them into the real tables {floor * 1000:.0f} ms: the wave "
            f"is {wave / floor:.2f}x that"
        )
