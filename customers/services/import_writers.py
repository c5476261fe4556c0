"""The import's PostgreSQL writer: rows read, inserted and updated as plain columns, one statement per batch.

Model instances cost an import more than the database does (Model.__init__, then bulk_create and bulk_update
preparing every value again). On PostgreSQL the import instead keeps each row as a Record, a bare namespace of
column values, reads a batch's existing rows with `= ANY(array)` and writes the batch with one statement each for
its new and its changed rows, the values passed as one array literal per column:

    INSERT INTO customers_contact (...) SELECT * FROM unnest(%s::bigint[], %s::text[], ...)
    UPDATE customers_contact AS t SET ... FROM unnest(...) AS v(id, ...) WHERE t.id = v.id AND t.organization_id = …

The statements run on the task's connection inside its organisation context, so row-level security checks every
row as it does for the ORM. The decisions (new, changed, unchanged) are DirectoryWriter's, below, shared with
the ORM path used on SQLite.
"""

import datetime
from collections import Counter
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from customers.models import Contact, Customer
from qms.tenancy.models import Organization

from .import_rows import CheckedRow

Consent = Contact.Consent
# A model's concrete field: a Field with a column. Any, because django-stubs types every Field's `column` (and
# `db_type()`) as optional, which only a field without a column (a many-to-many one) leaves unset.
ConcreteField = Any


class Record(SimpleNamespace):
    """One row's columns by attribute name (organization_id, customer_id, …), as a model instance has them."""

    @property
    def pk(self) -> int:
        return self.id


class PostgresRows:
    """The reading and writing methods of imports.DirectoryWriter, set-based (mixed in before it)."""

    # DirectoryWriter's, which comes after this class in PostgresDirectoryWriter.
    CUSTOMER_UPDATE: list[str]
    CONTACT_UPDATE: list[str]
    organization: Organization
    now: datetime.datetime

    def __init__(self, *, organization: Organization) -> None:
        super().__init__(organization=organization)  # type: ignore[call-arg]  # DirectoryWriter's, next in the MRO
        self._defaults: dict[type[Model], dict[str, Any]] = {
            model: _column_defaults(model, organization.pk, self.now) for model in (Customer, Contact)
        }

    def _customers_found(self, refs: list[str], names: list[str]) -> list[Record]:
        where = "external_ref = ANY(%s::text[]) OR (external_ref = '' AND name = ANY(%s::text[]))"
        return self._select(Customer, self.CUSTOMER_UPDATE, where, [refs, names])

    def _live_contacts_with_emails(self, emails: list[str]) -> list[Record]:
        where = "erased_at IS NULL AND email = ANY(%s::text[])"
        return self._select(Contact, self.CONTACT_UPDATE, where, [emails])

    def _live_contacts_without_email(self, customer_ids: set[int], names: set[str]) -> list[Record]:
        where = "erased_at IS NULL AND email = '' AND customer_id = ANY(%s::bigint[]) AND name = ANY(%s::text[])"
        return self._select(Contact, self.CONTACT_UPDATE, where, [list(customer_ids), list(names)])

    def _select(self, model: type[Model], attnames: list[str], where: str, arrays: list[list]) -> list[Record]:
        return select_records(
            model, attnames, where, [_array_literal(values) for values in arrays], self.organization.pk
        )

    def _new_customer(self, fields: dict) -> Record:
        return self._new_record(Customer, fields)

    def _new_contact(self, fields: dict, *, consent_changed_at: datetime.datetime | None) -> Record:
        return self._new_record(Contact, {**fields, "consent_changed_at": consent_changed_at})

    def _new_record(self, model: type[Model], fields: dict) -> Record:
        return Record(**{**self._defaults[model], **fields})

    def _save_customers(self, created: list[Record], changed: list[Record]) -> None:
        if created:
            ids = {
                ("ref", ref) if ref else ("name", name): pk
                for pk, ref, name in insert_records(Customer, created, returning=("id", "external_ref", "name"))
            }
            for customer in created:
                customer.id = ids[("ref", customer.external_ref) if customer.external_ref else ("name", customer.name)]
        update_records(Customer, changed, self.CUSTOMER_UPDATE, organization_id=self.organization.pk)

    def _save_contacts(self, created: list[Record], changed: list[Record]) -> None:
        insert_records(Contact, created)
        update_records(Contact, changed, self.CONTACT_UPDATE, organization_id=self.organization.pk)


def _column_defaults(model: type[Model], organization_id: int, now: datetime.datetime) -> dict[str, Any]:
    """What a new row holds in each column the file does not set: the model's defaults, created now."""
    defaults = {field.attname: field.get_default() for field in _columns(model)}
    return {**defaults, "organization_id": organization_id, "created_at": now, "updated_at": now}


def _columns(model: type[Model]) -> list[ConcreteField]:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def _unnest(fields: Iterable[ConcreteField]) -> str:
    return "unnest({})".format(", ".join(f"%s::{_array_type(field)}[]" for field in fields))


def _array_type(field: ConcreteField) -> str:
    """The element type of a column's array: text for varchar(n), so that a value too long for its column fails
    as it would from the ORM (an explicit cast to varchar(n) would cut it short without a word)."""
    db_type = field.db_type(connection)
    return "text" if db_type.startswith("varchar") else db_type


def _arrays(records: list[Record], fields: Iterable[ConcreteField]) -> list[str]:
    """One array literal per column ('{"a","b",NULL}'): PostgreSQL reads it far faster than ARRAY['a', 'b', NULL]
    with a cast per element, which is how the driver would send a list."""
    return [_array_literal([getattr(record, field.attname) for record in records]) for field in fields]


def _array_literal(values: list) -> str:
    """PostgreSQL's text form of an array: every element double-quoted (\\ and " escaped), NULL for None."""
    if not values:
        return "{}"
    if None in values:
        return "{" + ",".join("NULL" if value is None else f'"{_escaped(str(value))}"' for value in values) + "}"
    texts = list(map(str, values))
    if any("\\" in text or '"' in text for text in texts):  # rare: escape element by element
        texts = [_escaped(text) for text in texts]
    return '{"' + '","'.join(texts) + '"}'


def _escaped(text: str) -> str:
    if "\\" in text or '"' in text:
        return text.replace("\\", "\\\\").replace('"', '\\"')
    return text


def insert_records(model: type[Model], records: list[Record], *, returning: tuple[str, ...] = ()) -> list[tuple]:
    """Insert the records in one statement; the rows of `returning` (column names) come back, in no set order."""
    if not records:
        return []
    quote, fields = connection.ops.quote_name, _columns(model)
    sql = "INSERT INTO {} ({}) SELECT * FROM {}".format(  # noqa: S608 - names from the model, values as parameters
        quote(model._meta.db_table), ", ".join(quote(field.column) for field in fields), _unnest(fields)
    )
    if returning:
        sql += " RETURNING " + ", ".join(quote(column) for column in returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, _arrays(records, fields))
        return cursor.fetchall() if returning else []


def select_records(
    model: type[Model], attnames: list[str], where: str, params: list, organization_id: int
) -> list[Record]:
    """The organisation's rows matching `where` (SQL of the model's column names), oldest first, as Records."""
    quote = connection.ops.quote_name
    fields = _id_and_fields(model, attnames)
    columns = ", ".join(quote(field.column) for field in fields)
    sql = (
        f"SELECT {columns} FROM {quote(model._meta.db_table)} "  # noqa: S608 - names from the model
        f"WHERE organization_id = %s AND ({where}) ORDER BY {quote(fields[0].column)}"
    )
    names = [field.attname for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization_id, *params])
        return [Record(**dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def update_records(model: type[Model], records: list[Record], attnames: list[str], *, organization_id: int) -> None:
    """Set the named columns of the records' rows (found by id, within the organisation) in one statement."""
    if not records:
        return
    quote = connection.ops.quote_name
    fields = _id_and_fields(model, attnames)
    names = [quote(field.column) for field in fields]
    assignments = ", ".join(f"{name} = v.{name}" for name in names[1:])
    pk = names[0]
    sql = (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {assignments} "  # noqa: S608 - names from the model
        f"FROM {_unnest(fields)} AS v({', '.join(names)}) WHERE t.{pk} = v.{pk} AND t.organization_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*_arrays(records, fields), organization_id])


def _id_and_fields(model: type[Model], attnames: list[str]) -> list[ConcreteField]:
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    return [model._meta.pk] + [by_attname[attname] for attname in attnames]


# --- the writer's decisions, shared by the ORM (SQLite) and PostgreSQL paths ---------------------------


def _assign(obj: object, fields: dict) -> bool:
    changed = False
    for name, value in fields.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class DirectoryWriter:
    """Upserts checked rows batch by batch: one query finds a batch's existing customers and one (two when some
    contacts have no email) its existing contacts; new rows go in with bulk_create, changed ones with bulk_update.
    No query is made per row. Customers are found by external_ref, else by exact name; contacts by email, else
    by name within their customer.

    The decisions (new, changed, unchanged) are made here; reading and writing the rows are the methods at the
    end, which PostgresDirectoryWriter replaces with set-based SQL on plain rows instead of model instances."""

    CUSTOMER_UPDATE = ["name", "kind", "segment", "region", "external_ref", "account_owner_id", "updated_at"]
    CONTACT_UPDATE = [
        "customer_id",
        "name",
        "email",
        "phone",
        "preferred_language",
        "consent",
        "consent_changed_at",
        "updated_at",
    ]

    def __init__(self, *, organization: Organization) -> None:
        self.organization, self.now = organization, timezone.now()
        self.customer_ids: dict[tuple, int] = {}
        self.counts: dict[str, Counter[str]] = {"customers": Counter(), "contacts": Counter()}
        for counts in self.counts.values():
            counts.update({"created": 0, "updated": 0, "unchanged": 0})

    def write(self, rows: list[CheckedRow]) -> None:
        self._write_customers(rows)
        self._write_contacts([row for row in rows if row.contact is not None])

    def _write_customers(self, rows: list[CheckedRow]) -> None:
        pending: dict[tuple, dict] = {}
        for row in rows:
            if row.customer_key not in self.customer_ids:
                pending.setdefault(row.customer_key, row.customer)
        if not pending:
            return
        existing = self._existing_customers(list(pending))
        created, changed, counts = [], [], self.counts["customers"]
        for key, fields in pending.items():
            customer = existing.get(key)
            if customer is None:
                customer = self._new_customer(fields)
                created.append(customer)
                existing[key] = customer
            elif _assign(customer, fields):
                customer.updated_at = self.now
                changed.append(customer)
            else:
                counts["unchanged"] += 1
        self._save_customers(created, changed)
        counts["created"] += len(created)
        counts["updated"] += len(changed)
        self.customer_ids.update((key, customer.pk) for key, customer in existing.items())

    def _existing_customers(self, keys: list[tuple]) -> dict[tuple, Customer | Record]:
        refs = [value for kind, value in keys if kind == "ref"]
        names = [value for kind, value in keys if kind == "name"]
        found: dict[tuple, Customer | Record] = {}
        for customer in self._customers_found(refs, names):
            key = ("ref", customer.external_ref) if customer.external_ref else ("name", customer.name)
            found.setdefault(key, customer)  # two customers of one name and no reference: the oldest
        return found

    def _write_contacts(self, rows: list[CheckedRow]) -> None:
        # Every row has a contact (write() passes no other); the `row.contact` checks only tell the type checker.
        emails = [row.contact["email"] for row in rows if row.contact and row.contact.get("email")]
        by_email = {contact.email: contact for contact in self._live_contacts_with_emails(emails)} if emails else {}
        by_name: dict[tuple, Contact | Record] = {}
        unnamed = [row for row in rows if row.contact and not row.contact.get("email")]
        contact: Contact | Record | None
        if unnamed:
            customer_ids = {self.customer_ids[row.customer_key] for row in unnamed}
            names = {row.contact["name"] for row in unnamed if row.contact}
            for contact in self._live_contacts_without_email(customer_ids, names):
                by_name.setdefault((contact.customer_id, contact.name), contact)
        created, changed, counts, now = [], [], self.counts["contacts"], self.now
        for row in rows:
            assert row.contact is not None
            fields = {**row.contact, "customer_id": self.customer_ids[row.customer_key]}
            email = fields.get("email")
            contact = by_email.get(email) if email else by_name.get((fields["customer_id"], fields["name"]))
            if contact is None:
                consent = fields.get("consent", Consent.UNKNOWN)
                changed_at = now if consent != Consent.UNKNOWN else None
                created.append(self._new_contact(fields, consent_changed_at=changed_at))
                continue
            consent_before = contact.consent
            if _assign(contact, fields):
                if contact.consent != consent_before:
                    contact.consent_changed_at = now
                contact.updated_at = now
                changed.append(contact)
            else:
                counts["unchanged"] += 1
        self._save_contacts(created, changed)
        counts["created"] += len(created)
        counts["updated"] += len(changed)

    # Reading and writing rows: model instances, bulk_create and bulk_update (any database). The decisions above
    # take a row as either: a model instance here, a Record in PostgresRows.

    def _customers_found(self, refs: list[str], names: list[str]) -> Iterable[Customer | Record]:
        """The customers with one of the references, or with no reference and one of the names; oldest first."""
        customers = Customer.objects.filter(organization=self.organization)
        return customers.filter(Q(external_ref__in=refs) | Q(external_ref="", name__in=names)).order_by("pk")

    def _live_contacts_with_emails(self, emails: list[str]) -> Iterable[Contact | Record]:
        return self._live_contacts().filter(email__in=emails)

    def _live_contacts_without_email(self, customer_ids: set[int], names: set[str]) -> Iterable[Contact | Record]:
        """The contacts without email of the customers with one of the names; oldest first."""
        return self._live_contacts().filter(email="", customer_id__in=customer_ids, name__in=names).order_by("pk")

    def _live_contacts(self) -> QuerySet[Contact]:
        return Contact.objects.filter(organization=self.organization, erased_at__isnull=True)

    def _new_customer(self, fields: dict) -> Customer | Record:
        return Customer(organization=self.organization, created_at=self.now, updated_at=self.now, **fields)

    def _new_contact(self, fields: dict, *, consent_changed_at: datetime.datetime | None) -> Contact | Record:
        return Contact(
            organization=self.organization,
            created_at=self.now,
            updated_at=self.now,
            consent_changed_at=consent_changed_at,
            **fields,
        )

    def _save_customers(self, created: list, changed: list) -> None:
        Customer.objects.bulk_create(created)
        Customer.objects.bulk_update(changed, self.CUSTOMER_UPDATE, batch_size=500)

    def _save_contacts(self, created: list, changed: list) -> None:
        Contact.objects.bulk_create(created)
        Contact.objects.bulk_update(changed, self.CONTACT_UPDATE, batch_size=500)


class PostgresDirectoryWriter(PostgresRows, DirectoryWriter):
    """The same upserts, read and written as plain columns with set-based SQL (see import_writers)."""


def directory_writer(organization: Organization) -> DirectoryWriter:
    if connection.vendor == "postgresql":
        return PostgresDirectoryWriter(organization=organization)
    return DirectoryWriter(organization=organization)
