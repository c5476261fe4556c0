"""The import's PostgreSQL writer: rows read, inserted and updated as plain columns, one statement per batch.

Model instances cost an import more than the database does (Model.__init__, then bulk_create and bulk_update
preparing every value again). On PostgreSQL the import instead keeps each row as a Record, a bare namespace of
column values, reads a batch's existing rows with `= ANY(array)` and writes the batch with one statement each for
its new and its changed rows, the values passed as one array literal per column:

    INSERT INTO feedback_contact (...) SELECT * FROM unnest(%s::bigint[], %s::text[], ...)
    UPDATE feedback_contact AS t SET ... FROM unnest(...) AS v(id, ...) WHERE t.id = v.id AND t.organization_id = …

The statements run on the task's connection inside its organisation context, so row-level security checks every
row as it does for the ORM. The decisions (new, changed, unchanged) stay in imports.DirectoryWriter.
"""

from types import SimpleNamespace

from django.db import connection

from feedback.models import Contact, Customer


class Record(SimpleNamespace):
    """One row's columns by attribute name (organization_id, customer_id, …), as a model instance has them."""

    @property
    def pk(self):
        return self.id


class PostgresRows:
    """The reading and writing methods of imports.DirectoryWriter, set-based (mixed in before it)."""

    def __init__(self, *, organization):
        super().__init__(organization=organization)
        self._defaults = {model: _column_defaults(model, organization.pk, self.now) for model in (Customer, Contact)}

    def _customers_found(self, refs: list[str], names: list[str]) -> list[Record]:
        where = "external_ref = ANY(%s::text[]) OR (external_ref = '' AND name = ANY(%s::text[]))"
        return self._select(Customer, self.CUSTOMER_UPDATE, where, [refs, names])

    def _live_contacts_with_emails(self, emails: list[str]) -> list[Record]:
        where = "erased_at IS NULL AND email = ANY(%s::text[])"
        return self._select(Contact, self.CONTACT_UPDATE, where, [emails])

    def _live_contacts_without_email(self, customer_ids: set[int], names: set[str]) -> list[Record]:
        where = "erased_at IS NULL AND email = '' AND customer_id = ANY(%s::bigint[]) AND name = ANY(%s::text[])"
        return self._select(Contact, self.CONTACT_UPDATE, where, [list(customer_ids), list(names)])

    def _select(self, model, attnames: list[str], where: str, arrays: list[list]) -> list[Record]:
        return select_records(
            model, attnames, where, [_array_literal(values) for values in arrays], self.organization.pk
        )

    def _new_customer(self, fields: dict) -> Record:
        return self._new_record(Customer, fields)

    def _new_contact(self, fields: dict, *, consent_changed_at) -> Record:
        return self._new_record(Contact, {**fields, "consent_changed_at": consent_changed_at})

    def _new_record(self, model, fields: dict) -> Record:
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


def _column_defaults(model, organization_id: int, now) -> dict:
    """What a new row holds in each column the file does not set: the model's defaults, created now."""
    defaults = {field.attname: field.get_default() for field in _columns(model)}
    return {**defaults, "organization_id": organization_id, "created_at": now, "updated_at": now}


def _columns(model) -> list:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def _unnest(fields) -> str:
    return "unnest({})".format(", ".join(f"%s::{_array_type(field)}[]" for field in fields))


def _array_type(field) -> str:
    """The element type of a column's array: text for varchar(n), so that a value too long for its column fails
    as it would from the ORM (an explicit cast to varchar(n) would cut it short without a word)."""
    db_type = field.db_type(connection)
    return "text" if db_type.startswith("varchar") else db_type


def _arrays(records: list[Record], fields) -> list[str]:
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


def insert_records(model, records: list[Record], *, returning: tuple[str, ...] = ()) -> list[tuple]:
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


def select_records(model, attnames: list[str], where: str, params: list, organization_id: int) -> list[Record]:
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


def update_records(model, records: list[Record], attnames: list[str], *, organization_id: int) -> None:
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


def _id_and_fields(model, attnames: list[str]) -> list:
    by_attname = {field.attname: field for field in model._meta.concrete_fields}
    return [model._meta.pk] + [by_attname[attname] for attname in attnames]
