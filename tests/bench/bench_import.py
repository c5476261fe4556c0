"""Importing 50,000 contacts (10,000 customers) from CSV, against PostgreSQL's COPY of the same file into a bare
table, measured in the same run.

The import is timed as a worker runs it: the check task (every row read and checked once, the preview stored, the
valid rows kept) and the import task (the kept rows upserted under row-level security, one audit event). The
baseline is COPY of the same bytes into an unindexed table with no checks.

Two references show how much of the ratio the tables themselves cost:
- the floor for this schema: the same rows written with hand-written set-based SQL into the real tables (five
  indexes on contacts, six on customers, four foreign keys, forced row-level security), as the app role;
- the ceiling of any writer: the rows already shaped (ids given, customers and contacts split) and COPYed
  straight into the real tables by a superuser, who bypasses row-level security: no checks, no lookups, no
  upsert. Nothing that writes into these tables can be faster. It needs a superuser login to the test database
  (BENCH_SUPERUSER, default postgres); without one it is left out.

Run with `make bench` on PostgreSQL. Prints the ratios; no timing assertion (these machines are noisy).
"""

import csv
import io
import os
import statistics
import time

import psycopg2
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from customers.models import Contact, Customer, ImportJob
from customers.services.imports import COLUMN_NAMES, import_job_confirm, import_job_create
from customers.tasks import import_run, import_validate

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
    INSERT INTO customers_customer (organization_id, kind, name, segment, region, external_ref, account_owner_id,
                                   notes, created_at, updated_at)
    SELECT DISTINCT ON (b.external_ref) %s, b.customer_kind, b.customer_name, b.segment, b.region, b.external_ref,
           u.id, '', now(), now()
    FROM bench_floor b LEFT JOIN accounts_user u ON lower(u.email) = lower(b.account_owner_email)
    ORDER BY b.external_ref
"""
FLOOR_CONTACTS = """
    INSERT INTO customers_contact (organization_id, customer_id, name, email, phone, preferred_language, consent,
                                  consent_source, consent_changed_at, created_at, updated_at)
    SELECT %s, c.id, b.contact_name, b.contact_email, b.contact_phone, b.preferred_language, b.consent, 'import',
           now(), now(), now()
    FROM bench_floor b JOIN customers_customer c ON c.organization_id = %s AND c.external_ref = b.external_ref
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


def _shaped_files(path, owner_id: int, organization_id: int) -> tuple[str, str]:
    """The file's customers and contacts as the rows of their tables, with ids given (far above any in use)."""
    customers, contacts, seen = io.StringIO(), io.StringIO(), set()
    customer_writer, contact_writer = csv.writer(customers), csv.writer(contacts)
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            customer_id = 10**12 + int(row["external_ref"].removeprefix("CRM-"))
            if customer_id not in seen:
                seen.add(customer_id)
                owner = owner_id if row["account_owner_email"] else r"\N"
                customer_writer.writerow(
                    [customer_id, organization_id, row["customer_kind"], row["customer_name"], row["segment"],
                     row["region"], row["external_ref"], owner, "", "now", "now"]
                )  # fmt: skip
            contact_writer.writerow(
                [organization_id, customer_id, row["contact_name"], row["contact_email"], row["contact_phone"],
                 row["preferred_language"], row["consent"], "import", "now", "now", "now"]
            )  # fmt: skip
    return customers.getvalue(), contacts.getvalue()


CEILING_COPIES = (
    "COPY customers_customer (id, organization_id, kind, name, segment, region, external_ref, account_owner_id, "
    "notes, created_at, updated_at) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
    "COPY customers_contact (organization_id, customer_id, name, email, phone, preferred_language, consent, "
    "consent_source, consent_changed_at, created_at, updated_at) FROM STDIN WITH (FORMAT csv)",
)


def _superuser_ceiling_seconds(path, tenant) -> float | None:
    """Median time of a superuser's COPY of the shaped rows into the real tables (rolled back each round)."""
    shaped = _shaped_files(path, tenant.manager.pk, tenant.organization.pk)
    params = connection.settings_dict
    try:
        superuser = psycopg2.connect(
            dbname=params["NAME"],
            host=params["HOST"],
            port=params["PORT"] or 5432,
            user=os.environ.get("BENCH_SUPERUSER", "postgres"),
        )
    except psycopg2.Error as exc:
        print(f"\n[bench] no superuser login ({str(exc).strip()}): the ceiling of any writer is left out")
        return None
    timings = []
    try:
        with superuser.cursor() as cursor:
            cursor.execute("SHOW is_superuser")
            if cursor.fetchone()[0] != "on":
                return None
            for _ in range(COPY_ROUNDS):
                start = time.perf_counter()
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for sql, rows in zip(CEILING_COPIES, shaped, strict=True):
                    cursor.copy_expert(sql, io.StringIO(rows))
                timings.append(time.perf_counter() - start)
                cursor.execute("SELECT count(*) FROM customers_contact WHERE customer_id >= %s", [10**12])
                assert cursor.fetchone()[0] == CONTACTS
                superuser.rollback()
    finally:
        superuser.close()
    return statistics.median(timings)


def test_bench_import_of_50000_contacts_against_copy(alpha, bravo, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = tmp_path / "contacts.csv"
    _write_file(path, owner_email=alpha.manager.email)
    postgres = connection.vendor == "postgresql"
    copy = _copy_seconds(path) if postgres else None
    ceiling = _superuser_ceiling_seconds(path, bravo) if postgres else None  # rolled back: before the floor
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
            f"{floor * 1000:.0f} ms = {floor / copy:.2f}x COPY; check + import is {total / floor:.2f}x that floor "
            f"(the import alone {imported / floor:.2f}x, the check {checked / floor:.2f}x)"
        )
        room = 1.5 * floor - imported  # what a check may cost for check + import to be 1.5x the floor
        print(
            f"[bench] at 1.5x the floor the check would have {room * 1000:.0f} ms ({room / floor:.2f}x the floor) "
            f"after this import; it takes {checked * 1000:.0f} ms, {checked / CONTACTS * 1e6:.1f} us a row"
        )
    if ceiling is not None:
        print(
            f"[bench] ceiling of any writer (superuser COPY of the shaped rows into the real tables, RLS bypassed, "
            f"no checks) {ceiling * 1000:.0f} ms = {ceiling / copy:.2f}x COPY"
        )
