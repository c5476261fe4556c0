"""Importing 50,000 contacts (10,000 customers) from CSV, against PostgreSQL's COPY of the same file into a bare
table, measured in the same run.

The import is timed as a worker runs it: the check task (every row read and checked, the preview stored) and
the import task (every row read and checked again, customers and contacts upserted under row-level security,
one audit event). The baseline is COPY of the same bytes into an unindexed table with no checks. A second
reference, the floor for this schema, writes the same rows with hand-written set-based SQL into the real tables
(six indexes on contacts, seven on customers, four foreign keys, forced row-level security): it shows how much
of the ratio the tables themselves cost. Run with `make bench` on PostgreSQL. Prints the ratios; no timing
assertion (these machines are noisy).
"""

import csv
import statistics
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from feedback.models import Contact, Customer, ImportJob
from feedback.services.imports import COLUMN_NAMES, import_job_confirm, import_job_create
from feedback.tasks import import_run, import_validate

pytestmark = pytest.mark.django_db(transaction=True)

CONTACTS = 50_000
CONTACTS_PER_CUSTOMER = 5
COPY_ROUNDS = 3


def _write_file(path, owner_email: str) -> None:
    segments, regions = ("Industrial", "Retail", "Public sector"), ("North", "South", "East", "West")
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMN_NAMES)
        for n in range(CONTACTS):
            c = n // CONTACTS_PER_CUSTOMER
            writer.writerow(
                [
                    f"Customer {c:05d} Ltd",
                    "organisation" if c % 7 else "person",
                    segments[c % 3],
                    regions[c % 4],
                    f"CRM-{c:06d}",
                    owner_email if c % 2 else "",
                    f"Contact {n:06d}",
                    f"contact{n:06d}@customer{c:05d}.example",
                    f"+44 20 7946 {n % 10000:04d}",
                    ("en", "de", "fr-ca")[n % 3],
                    ("granted", "unknown", "opted_out")[n % 3],
                ]
            )


def _copy_seconds(path) -> float:
    """Median time of COPY of the file into a bare temporary table (no indexes, no constraints, no policy)."""
    columns = ", ".join(f"{name} text" for name in COLUMN_NAMES)
    timings = []
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE bench_bare ({columns})")
        for _ in range(COPY_ROUNDS):
            cursor.execute("TRUNCATE bench_bare")
            with open(path, encoding="utf-8") as handle:
                start = time.perf_counter()
                cursor.copy_expert("COPY bench_bare FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
                timings.append(time.perf_counter() - start)
        cursor.execute("SELECT count(*) FROM bench_bare")
        assert cursor.fetchone()[0] == CONTACTS
        cursor.execute("DROP TABLE bench_bare")
    return statistics.median(timings)


FLOOR_CUSTOMERS = """
    INSERT INTO feedback_customer (organization_id, kind, name, segment, region, external_ref, account_owner_id,
                                   notes, created_at, updated_at)
    SELECT DISTINCT ON (b.external_ref) %s, b.customer_kind, b.customer_name, b.segment, b.region, b.external_ref,
           u.id, '', now(), now()
    FROM bench_floor b LEFT JOIN accounts_user u ON lower(u.email) = lower(b.account_owner_email)
    ORDER BY b.external_ref
"""
FLOOR_CONTACTS = """
    INSERT INTO feedback_contact (organization_id, customer_id, name, email, phone, preferred_language, consent,
                                  consent_changed_at, created_at, updated_at)
    SELECT %s, c.id, b.contact_name, b.contact_email, b.contact_phone, b.preferred_language, b.consent,
           now(), now(), now()
    FROM bench_floor b JOIN feedback_customer c ON c.organization_id = %s AND c.external_ref = b.external_ref
"""


def _sql_floor_seconds(path, tenant) -> float:
    """The same rows written by hand-written set-based SQL into the real tables (their indexes, foreign keys and
    row-level security), from a COPY into a temporary table: no importer beats this with this schema. No checks,
    no upsert, no progress, no audit."""
    columns = ", ".join(f"{name} text" for name in COLUMN_NAMES)
    organization_id = tenant.organization.pk
    start = time.perf_counter()
    with transaction.atomic(), tenant.context(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE bench_floor ({columns}) ON COMMIT DROP")
        with open(path, encoding="utf-8") as handle:
            cursor.copy_expert("COPY bench_floor FROM STDIN WITH (FORMAT csv, HEADER true)", handle)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(FLOOR_CUSTOMERS, [organization_id])
        cursor.execute(FLOOR_CONTACTS, [organization_id, organization_id])
        assert cursor.rowcount == CONTACTS
    return time.perf_counter() - start


def test_bench_import_of_50000_contacts_against_copy(alpha, bravo, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = tmp_path / "contacts.csv"
    _write_file(path, owner_email=alpha.manager.email)
    postgres = connection.vendor == "postgresql"
    copy = _copy_seconds(path) if postgres else None
    floor = _sql_floor_seconds(path, bravo) if postgres else None

    organization = alpha.organization
    with alpha.context():
        start = time.perf_counter()
        upload = SimpleUploadedFile("contacts.csv", path.read_bytes(), content_type="text/csv")
        job = import_job_create(organization=organization, actor=alpha.manager, upload=upload)
        stored = time.perf_counter() - start
    start = time.perf_counter()
    import_validate.run(organization.pk, job.pk)
    checked = time.perf_counter() - start
    with alpha.context():
        import_job_confirm(
            job=ImportJob.objects.get(pk=job.pk), actor=alpha.manager, mode=ImportJob.Mode.ALL_OR_NOTHING
        )
    start = time.perf_counter()
    import_run.run(organization.pk, job.pk)
    imported = time.perf_counter() - start

    with alpha.context():
        job = ImportJob.objects.get(pk=job.pk)
        assert job.status == ImportJob.Status.DONE, job.message
        assert Contact.objects.filter(organization=organization).count() == CONTACTS
        assert Customer.objects.filter(organization=organization).count() == CONTACTS // CONTACTS_PER_CUSTOMER

    total = checked + imported
    print(
        f"\n[bench] import of {CONTACTS} contacts ({connection.vendor}): upload {stored * 1000:.0f} ms, "
        f"check {checked * 1000:.0f} ms, import {imported * 1000:.0f} ms, check + import {total * 1000:.0f} ms"
    )
    if postgres:
        print(
            f"[bench] COPY of the same file into a bare table {copy * 1000:.0f} ms; "
            f"ratio check + import {total / copy:.2f}x, import alone {imported / copy:.2f}x"
        )
        print(
            f"[bench] floor for this schema (COPY + set-based INSERTs into the real tables under RLS) "
            f"{floor * 1000:.0f} ms = {floor / copy:.2f}x COPY; check + import is {total / floor:.2f}x that floor"
        )
