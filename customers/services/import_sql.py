"""The import on PostgreSQL: the checked rows upserted by a handful of set-based statements, not batch by batch.

The check has already kept the job's valid rows, normalised (import_staging). The import COPYs them into a
temporary table and, in the task's transaction and organisation context (row-level security checks every row):

1. drops the rows whose account owner is no longer an owner, manager or staff member (they become errors);
2. gathers one row per customer (by external_ref, else exact name) and finds the existing ones, the oldest
   where two share a name; updates those that differ and inserts the rest (RETURNING their ids);
3. does the same for contacts (by email among live contacts, else by name within their customer).

These are the statements of the schema's floor (COPY, then INSERT … SELECT into the real tables), plus the
lookups of the upsert: no row passes through Python. The decisions are DirectoryWriter's (the ORM path on
SQLite), written as SQL: a column the file lacks is left alone, an empty kind, language or consent keeps the
current one, consent_changed_at (and consent_source, "import") moves only when consent does, and a row counts as
updated only when a value changed. New rows take the model's defaults for what the file does not set.
"""

from collections import Counter
from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from customers.models import Contact, Customer, ImportJob

from .import_rows import NO_OWNER, Tally
from .import_staging import FIELDS, staged_rows_file

TYPES = {"number": "integer", "account_owner_id": "bigint"}
# A customer's key, as DirectoryWriter's: ('ref', external_ref) when it has one, else ('name', name).

DROP = "DROP TABLE IF EXISTS import_staged, import_customers, import_contacts"
CUSTOMERS = """
CREATE TEMPORARY TABLE import_customers ON COMMIT DROP AS
SELECT DISTINCT ON (key) key, number, name, kind, segment, region, external_ref, account_owner_id, NULL::bigint AS id
FROM (
    SELECT CASE WHEN s.external_ref IS NOT NULL THEN 'r' || s.external_ref ELSE 'n' || s.name END AS key, s.*
    FROM import_staged s
) AS s ORDER BY key, number
"""
CUSTOMERS_BY_REF = """
UPDATE import_customers i SET id = c.id FROM (
    SELECT DISTINCT ON (c.external_ref) c.external_ref, c.id FROM customers_customer c
    WHERE c.organization_id = %(org)s
      AND c.external_ref IN (SELECT external_ref FROM import_customers WHERE external_ref IS NOT NULL)
    ORDER BY c.external_ref, c.id
) c WHERE i.external_ref = c.external_ref
"""
CUSTOMERS_BY_NAME = """
UPDATE import_customers i SET id = c.id FROM (
    SELECT DISTINCT ON (c.name) c.name, c.id FROM customers_customer c
    WHERE c.organization_id = %(org)s AND c.external_ref = ''
      AND c.name IN (SELECT name FROM import_customers WHERE external_ref IS NULL)
    ORDER BY c.name, c.id
) c WHERE i.external_ref IS NULL AND i.name = c.name
"""
CUSTOMERS_NEW = """
WITH inserted AS (
    INSERT INTO customers_customer (organization_id, kind, name, segment, region, external_ref, account_owner_id,
                                    notes, created_at, updated_at)
    SELECT %(org)s, COALESCE(kind, %(kind)s), name, COALESCE(segment, ''), COALESCE(region, ''),
           COALESCE(external_ref, ''), account_owner_id, '', %(now)s, %(now)s
    FROM import_customers WHERE id IS NULL ORDER BY number
    RETURNING id, NULLIF(external_ref, '') AS external_ref, name
)
UPDATE import_customers i SET id = n.id FROM inserted n
WHERE i.key = CASE WHEN n.external_ref IS NOT NULL THEN 'r' || n.external_ref ELSE 'n' || n.name END
"""
CONTACTS = """
CREATE TEMPORARY TABLE import_contacts ON COMMIT DROP AS
SELECT s.number, c.id AS customer_id, s.contact_name AS name, s.email, s.phone, s.preferred_language, s.consent,
       NULL::bigint AS id
FROM import_staged s
JOIN import_customers c
  ON c.key = CASE WHEN s.external_ref IS NOT NULL THEN 'r' || s.external_ref ELSE 'n' || s.name END
WHERE s.contact IS NOT NULL
"""
CONTACTS_BY_EMAIL = """
UPDATE import_contacts i SET id = c.id FROM customers_contact c
WHERE c.organization_id = %(org)s AND c.erased_at IS NULL AND c.email = i.email
"""
CONTACTS_BY_NAME = """
UPDATE import_contacts i SET id = c.id FROM (
    SELECT DISTINCT ON (c.customer_id, c.name) c.customer_id, c.name, c.id FROM customers_contact c
    WHERE c.organization_id = %(org)s AND c.erased_at IS NULL AND c.email = ''
      AND (c.customer_id, c.name) IN (SELECT customer_id, name FROM import_contacts WHERE email IS NULL)
    ORDER BY c.customer_id, c.name, c.id
) c WHERE i.email IS NULL AND i.customer_id = c.customer_id AND i.name = c.name
"""
CONTACTS_NEW = """
INSERT INTO customers_contact (organization_id, customer_id, name, email, phone, preferred_language, consent,
                               consent_changed_at, consent_source, created_at, updated_at)
SELECT %(org)s, customer_id, name, COALESCE(email, ''), COALESCE(phone, ''), COALESCE(preferred_language, %(lang)s),
       COALESCE(consent, %(consent)s), CASE WHEN COALESCE(consent, %(consent)s) <> %(consent)s THEN %(now)s END,
       CASE WHEN COALESCE(consent, %(consent)s) <> %(consent)s THEN %(source)s ELSE '' END, %(now)s, %(now)s
FROM import_contacts WHERE id IS NULL ORDER BY number
"""


def _update(table: str, source: str, assignments: dict[str, str], extra: str = "") -> str:
    """UPDATE the matched rows whose values differ; rowcount is then the number updated."""
    columns = ", ".join(f"{column} = {value}" for column, value in assignments.items())
    old = ", ".join(f"t.{column}" for column in assignments)
    new = ", ".join(assignments.values())
    return (
        f"UPDATE {table} t SET {columns}{extra} FROM {source} i "  # noqa: S608 - our own names
        f"WHERE t.id = i.id AND t.organization_id = %(org)s AND ROW({old}) IS DISTINCT FROM ROW({new})"
    )


def _customer_changes(present: frozenset[str]) -> dict[str, str]:
    changes = {"name": "i.name", "kind": "COALESCE(i.kind, t.kind)"}
    for column in ("segment", "region", "external_ref"):
        if column in present:
            changes[column] = f"COALESCE(i.{column}, '')"
    if "account_owner_email" in present:
        changes["account_owner_id"] = "i.account_owner_id"
    return changes


def _contact_changes(present: frozenset[str]) -> dict[str, str]:
    changes = {"customer_id": "i.customer_id", "name": "i.name"}
    if "contact_email" in present:
        changes["email"] = "COALESCE(i.email, '')"
    if "contact_phone" in present:
        changes["phone"] = "COALESCE(i.phone, '')"
    changes["preferred_language"] = "COALESCE(i.preferred_language, t.preferred_language)"
    changes["consent"] = "COALESCE(i.consent, t.consent)"
    return changes


class StagedImport:
    """One job's checked rows written by set-based SQL; counts as DirectoryWriter keeps them."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.counts: dict[str, Counter[str]] = {"customers": Counter(), "contacts": Counter()}
        self.params = {
            "org": job.organization_id,
            "now": timezone.now(),
            "kind": Customer._meta.get_field("kind").get_default(),
            "lang": Contact._meta.get_field("preferred_language").get_default(),
            "consent": Contact._meta.get_field("consent").get_default(),
            "source": Contact.ConsentSource.IMPORT,
        }

    def load(self) -> None:
        columns = ", ".join(f"{name} {TYPES.get(name, 'text')}" for name in FIELDS)
        with connection.cursor() as cursor, staged_rows_file(self.job) as binary:
            cursor.execute(DROP)  # a test's transaction, which never commits, may hold an earlier import's
            cursor.execute(f"CREATE TEMPORARY TABLE import_staged ({columns}) ON COMMIT DROP")
            cursor.copy_expert("COPY import_staged FROM STDIN WITH (FORMAT csv)", binary)

    def drop_owners_gone(self, owners: Iterable[int], tally: Tally) -> int:
        """Remove the rows whose account owner is not one any more, as errors of the tally; how many."""
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM import_staged WHERE account_owner_id <> ALL(%s::bigint[]) RETURNING number",  # noqa: S608
                [list(owners)],
            )
            numbers = sorted(number for (number,) in cursor.fetchall())
        for number in numbers:
            tally.reject(number, [("account_owner_email", str(NO_OWNER))])
        return len(numbers)

    def write(self) -> int:
        """Upsert the customers, then the contacts; returns the number of rows written."""
        present = frozenset(self.job.summary.get("columns", ()))
        customers = _update(
            "customers_customer", "import_customers", _customer_changes(present), ", updated_at = %(now)s"
        )
        contacts = _update(
            "customers_contact",
            "import_contacts",
            _contact_changes(present),
            ", consent_changed_at = CASE WHEN t.consent IS DISTINCT FROM COALESCE(i.consent, t.consent) "
            "THEN %(now)s ELSE t.consent_changed_at END, consent_source = CASE WHEN t.consent IS DISTINCT FROM "
            "COALESCE(i.consent, t.consent) THEN %(source)s ELSE t.consent_source END, updated_at = %(now)s",
        )
        self._upsert("customers", [CUSTOMERS, CUSTOMERS_BY_REF, CUSTOMERS_BY_NAME], customers, CUSTOMERS_NEW)
        self._upsert("contacts", [CONTACTS, CONTACTS_BY_EMAIL, CONTACTS_BY_NAME], contacts, CONTACTS_NEW)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM import_staged")
            written = cursor.fetchone()[0]
            cursor.execute(DROP)
        return written

    def _upsert(self, kind: str, find: list[str], update: str, insert: str) -> None:
        table = f"import_{kind}"
        with connection.cursor() as cursor:
            for sql in find:
                cursor.execute(sql, self.params)
            cursor.execute(f"SELECT count(*) FILTER (WHERE id IS NOT NULL), count(*) FROM {table}")  # noqa: S608
            found, total = cursor.fetchone()
            cursor.execute(update, self.params)
            updated = cursor.rowcount
            cursor.execute(insert, self.params)
        self.counts[kind].update({"created": total - found, "updated": updated, "unchanged": found - updated})
