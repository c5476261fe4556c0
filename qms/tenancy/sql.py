"""Hand-written SQL for the few lookups every request makes (the organisation by slug, the API token by hash, a
survey link's invitation) and the few rows a customer's answer writes.

The ORM builds and compiles a query anew on every call, and for these one-row lookups that costs two to three
times what running them does. The SQL here names each model's columns from its fields, so it follows the models,
and turns the values into instances as the ORM does (its converters, `Model.from_db`). Row-level security applies
to this SQL as to any: write the same conditions the ORM query would have, the organisation's among them.

PostgreSQL plans a statement anew on each run too, and planning a join of a handful of tables under row-level
security costs more than running it (a survey link's read: 1.5 ms planned, 0.3 ms run). `execute` runs such a
statement as a prepared statement of its connection from its second use on that connection, so a persistent
connection (CONN_MAX_AGE above 0) plans it once. With CONN_MAX_AGE=0 nothing is prepared: a connection then lasts
one request, and behind a transaction pooler (PgBouncer, which the README's deployment runs with CONN_MAX_AGE=0)
the next transaction may reach a server connection that never saw the PREPARE.
"""

import hashlib
import re
import weakref
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignObjectRel, Model
from django.db.models.expressions import Col

M = TypeVar("M", bound=Model)
Converters = list[Callable[..., Any]]


class Columns(Generic[M]):
    """One model's concrete columns under a table alias, in a SELECT list and back into an instance; `only` some of
    them (by field name, the primary key among them), the others deferred as `QuerySet.only()` defers them."""

    def __init__(self, model: type[M], alias: str, only: Sequence[str] = ()) -> None:
        self.model, self.alias = model, alias
        fields = model._meta.concrete_fields
        self.fields = tuple(field for field in fields if not only or field.name in only)
        self.attnames = [field.attname for field in self.fields]
        self._primary_key = self.attnames.index(model._meta.pk.attname)
        self._converters: dict[str, list[tuple[Converters, Col]]] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def sql(self) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{quote(self.alias)}.{quote(_column(field))}" for field in self.fields)

    def column(self, name: str) -> str:
        quote = connection.ops.quote_name
        return f"{quote(self.alias)}.{quote(_column(self.model._meta.get_field(name)))}"

    def table(self) -> str:
        quote = connection.ops.quote_name
        return f"{quote(self.model._meta.db_table)} {quote(self.alias)}"

    def instance_or_none(self, values: Sequence[Any]) -> M | None:
        """The instance of a LEFT JOIN's columns, or None when the join found no row (its primary key is NULL)."""
        return None if values[self._primary_key] is None else self.instance(values)

    def instance(self, values: Sequence[Any]) -> M:
        """The model instance of these columns' values, converted as the ORM converts them (SQLite's dates)."""
        conn = _wrapper()
        converters = self._converters.get(conn.vendor)
        if converters is None:
            converters = self._converters[conn.vendor] = [
                (functions, column)
                for column in (field.get_col(self.alias) for field in self.fields)
                for functions in [conn.ops.get_db_converters(column) + column.get_db_converters(conn)]
            ]
        values = [
            _convert(value, functions, column, conn) if functions else value
            for value, (functions, column) in zip(values, converters, strict=True)
        ]
        return self.model.from_db(conn.alias, self.attnames, values)


def _wrapper() -> BaseDatabaseWrapper:
    """The default database's connection itself, for the loops of this module: every attribute read through the
    `connection` proxy looks the connection up again in the thread's storage (~1 µs, more than the read)."""
    return connections[DEFAULT_DB_ALIAS]


def _column(field: Field | ForeignObjectRel) -> str:
    """A concrete field's column (a reverse relation has none, and the stubs allow a field None)."""
    assert isinstance(field, Field) and field.column is not None, f"{field} has no column"
    return field.column


def _convert(value: Any, functions: Converters, column: Col, conn: BaseDatabaseWrapper) -> Any:
    for function in functions:
        value = function(value, column, conn)
    return value


# The statements each connection has run once, those it has prepared, and those it could not prepare, by
# connection (its driver's object, which a reconnection replaces: a new one has none).
_USES: "weakref.WeakKeyDictionary[Any, tuple[set[str], set[str], set[str]]]" = weakref.WeakKeyDictionary()
_PLACEHOLDER = re.compile(r"%s|%%")
# A prepared statement of `execute`, first in the logged text or after the statements sent ahead of it.
_EXECUTED = re.compile(r"^(.*; )?EXECUTE (qms_[0-9a-f]{16})\b", re.DOTALL)
_STATEMENTS: dict[str, str] = {}  # each prepared statement's text as written, by name


def execute(cursor: Any, sql: str, params: Sequence[Any]) -> None:
    """Run one of this module's statements (fixed text, `%s` placeholders): on PostgreSQL, over a persistent
    connection, as a prepared statement of the connection from its second run on it, planned once for the
    connection's life; as it is elsewhere."""
    conn = _wrapper()
    raw = conn.connection
    if conn.vendor != "postgresql" or raw is None or conn.settings_dict.get("CONN_MAX_AGE") == 0:
        cursor.execute(sql, params)
        return
    uses = _USES.get(raw)
    if uses is None:
        uses = _USES[raw] = (set(), set(), set())
    seen, prepared, refused = uses
    name, text = _prepared_statement(sql)
    if name not in prepared:
        if name not in seen or name in refused:
            seen.add(name)
            cursor.execute(sql, params)
            return
        try:
            with transaction.atomic():  # a PREPARE that fails costs its savepoint, never the request's transaction
                cursor.execute(f"PREPARE {name} AS {text}")
        except DatabaseError:
            refused.add(name)  # run as written on this connection from now on
            cursor.execute(sql, params)
            return
        prepared.add(name)
    marks = ", ".join(["%s"] * len(params))
    cursor.execute(f"EXECUTE {name} ({marks})" if params else f"EXECUTE {name}", params)


@cache
def _prepared_statement(sql: str) -> tuple[str, str]:
    """A statement's name (from its text) and its text with PostgreSQL's numbered parameters."""
    numbers = iter(range(1, sql.count("%s") + 1))
    text = _PLACEHOLDER.sub(lambda match: "%" if match.group() == "%%" else f"${next(numbers)}", sql)
    name = f"qms_{hashlib.sha1(sql.encode(), usedforsecurity=False).hexdigest()[:16]}"
    _STATEMENTS[name] = sql
    return name, text


def statement_of(logged: str) -> str:
    """What a logged statement ran: for `EXECUTE qms_…` (a prepared statement of `execute`) its text as written
    (after the organisation's setting when that went ahead of it, qms.tenancy.context), for any other the statement
    itself (for tests and debugging, which read the SQL a request ran)."""
    found = _EXECUTED.match(logged)
    if found is None or found.group(2) not in _STATEMENTS:
        return logged
    return (found.group(1) or "") + _STATEMENTS[found.group(2)]


def fetch_one(sql: str, params: Sequence[int | str], *columns: Columns[Any]) -> list[Any] | None:
    """Run a one-row SELECT of these models' columns, in order; their instances (one per Columns, each of its
    model, None for a LEFT JOIN that found none), or None without a row."""
    with connection.cursor() as cursor:
        execute(cursor, sql, params)
        row = cursor.fetchone()
    return None if row is None else _instances(row, columns)


def fetch_all(sql: str, params: Sequence[int | str], *columns: Columns[Any]) -> list[list[Any]]:
    """As `fetch_one`, for every row: a row and the rows of a LEFT JOIN to its many (a parent repeated on each)."""
    with connection.cursor() as cursor:
        execute(cursor, sql, params)
        return [_instances(row, columns) for row in cursor.fetchall()]


def _instances(row: Sequence[Any], columns: Sequence[Columns[Any]]) -> list[Any]:
    instances: list[Model | None] = []
    start = 0
    for model_columns in columns:
        instances.append(model_columns.instance_or_none(row[start : start + len(model_columns)]))
        start += len(model_columns)
    return instances


def insert_rows(model: type[Model], rows: Sequence[dict[str, Any]], *, returning: bool = False) -> list[int]:
    """INSERT rows of a model (each a dict of attnames to values, all with the same keys) in one statement, each
    value prepared as the ORM prepares it (`get_db_prep_save`); with `returning`, the new rows' primary keys."""
    if not rows:
        return []
    names = tuple(rows[0])
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor, model, names, len(rows), returning), _prepared(model, rows))
        return [row[0] for row in cursor.fetchall()] if returning else []


def insert_with_children(
    model: type[Model],
    row: dict[str, Any],
    child: type[Model],
    parent: str,
    children: Sequence[dict[str, Any]],
    *,
    provided: tuple[str, Sequence[Any]] | None = None,
) -> int | None:
    """INSERT one row and the rows that refer to it (`parent`: the children's attname of the new row's key, left
    out of their dicts); its primary key (never None without `provided`). One statement on PostgreSQL (the row's
    INSERT a CTE), two elsewhere.

    PostgreSQL only, `provided`: the statement's first CTEs and their parameters, one of them named `provided`;
    the rows are written only when it returns a row (None when it returns none), in the same statement: a write
    that decides whether these rows are due (a compare-and-swap) and the rows themselves in one round trip."""
    if provided is None and (connection.vendor != "postgresql" or not children):
        [pk] = insert_rows(model, [row], returning=True)
        insert_rows(child, [{**values, parent: pk} for values in children])
        return pk
    assert connection.vendor == "postgresql", "a provided insert is PostgreSQL's"
    names, child_names = tuple(row), tuple(children[0]) if children else ()
    params = _prepared(model, [row]) + (_prepared(child, children) if children else [])
    sql = _insert_with_children_sql(model, names, child, parent, child_names, len(children), provided is not None)
    with connection.cursor() as cursor:
        if provided is not None:
            first, first_params = provided
            execute(cursor, f"WITH {first}, {sql.removeprefix('WITH ')}", [*first_params, *params])
        else:
            execute(cursor, sql, params)
        found = cursor.fetchone()
    return None if found is None else found[0]


def _prepared(model: type[Model], rows: Sequence[dict[str, Any]]) -> list[Any]:
    named, conn = [(name, _field(model, name)) for name in rows[0]], _wrapper()
    return [field.get_db_prep_save(row[name], conn) for row in rows for name, field in named]


@cache
def _insert_with_children_sql(
    model: type[Model],
    names: tuple[str, ...],
    child: type[Model],
    parent: str,
    child_names: tuple[str, ...],
    count: int,
    provided: bool = False,
) -> str:
    """The parent's INSERT a CTE (after `provided`, its values a SELECT from it), the children's INSERT another,
    and the parent's key the statement's row."""
    quote = connection.ops.quote_name
    pk = quote(_column(model._meta.pk))
    if provided:
        columns = ", ".join(quote(_column(_field(model, name))) for name in names)
        typed_row = ", ".join(f"%s::{_field(model, name).db_type(connection)}" for name in names)
        table = quote(model._meta.db_table)
        parent_row = f"INSERT INTO {table} ({columns}) SELECT {typed_row} FROM provided RETURNING {pk}"  # noqa: S608
    else:
        parent_row = _insert_sql("postgresql", model, names, 1, True)
    if not count:
        return f"WITH parent AS ({parent_row}) SELECT {pk} FROM parent"  # noqa: S608 - names from the models
    fields = [_field(child, name) for name in child_names]
    typed = "(" + ", ".join(f"%s::{field.db_type(connection)}" for field in fields) + ")"
    aliases = ", ".join(f"c{i}" for i in range(len(fields)))
    columns = ", ".join(quote(_column(field)) for field in [*fields, _field(child, parent)])
    values = ", ".join([typed] * count)
    return (
        f"WITH parent AS ({parent_row}), children AS (INSERT INTO {quote(child._meta.db_table)} ({columns}) "  # noqa: S608
        f"SELECT {aliases}, parent.{pk} FROM parent, (VALUES {values}) AS v({aliases})) SELECT {pk} FROM parent"
    )


@cache
def _insert_sql(vendor: str, model: type[Model], names: tuple[str, ...], count: int, returning: bool) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(_field(model, name))) for name in names)
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    values = ", ".join([row] * count)
    pk = f" RETURNING {quote(_column(model._meta.pk))}" if returning else ""
    return f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES {values}{pk}"  # noqa: S608 - names from the model


@cache
def _field(model: type[Model], attname: str) -> Field:
    return next(field for field in model._meta.concrete_fields if field.attname == attname)
