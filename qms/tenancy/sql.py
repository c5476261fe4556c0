"""Hand-written SELECTs for the few lookups every request makes (the organisation by slug, the API token by hash).

The ORM builds and compiles a query anew on every call, and for these one-row lookups that costs two to three
times what running them does. The SQL here names each model's columns from its fields, so it follows the models,
and turns the values into instances as the ORM does (its converters, `Model.from_db`). Row-level security applies
to this SQL as to any: write the same conditions the ORM query would have, the organisation's among them.
"""

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, ForeignObjectRel, Model
from django.db.models.expressions import Col

M = TypeVar("M", bound=Model)
Converters = list[Callable[..., Any]]


class Columns(Generic[M]):
    """One model's concrete columns under a table alias, in a SELECT list and back into an instance."""

    def __init__(self, model: type[M], alias: str) -> None:
        self.model, self.alias = model, alias
        self.fields = tuple(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
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

    def instance(self, values: Sequence[Any]) -> M:
        """The model instance of these columns' values, converted as the ORM converts them (SQLite's dates)."""
        converters = self._converters.get(connection.vendor)
        if converters is None:
            converters = self._converters[connection.vendor] = [
                (functions, column)
                for column in (field.get_col(self.alias) for field in self.fields)
                for functions in [connection.ops.get_db_converters(column) + column.get_db_converters(connection)]
            ]
        values = [
            _convert(value, functions, column, connection) if functions else value
            for value, (functions, column) in zip(values, converters, strict=True)
        ]
        return self.model.from_db(connection.alias, self.attnames, values)


def _column(field: Field | ForeignObjectRel) -> str:
    """A concrete field's column (a reverse relation has none, and the stubs allow a field None)."""
    assert isinstance(field, Field) and field.column is not None, f"{field} has no column"
    return field.column


def _convert(value: Any, functions: Converters, column: Col, conn: BaseDatabaseWrapper) -> Any:
    for function in functions:
        value = function(value, column, conn)
    return value


def fetch_one(sql: str, params: Sequence[int | str], *columns: Columns[Any]) -> list[Any] | None:
    """Run a one-row SELECT of these models' columns, in order; their instances (one per Columns, each of its
    model), or None without a row."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    instances: list[Model] = []
    start = 0
    for model_columns in columns:
        instances.append(model_columns.instance(row[start : start + len(model_columns)]))
        start += len(model_columns)
    return instances
