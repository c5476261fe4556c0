"""Hand-written SELECTs for the few lookups every request makes (the organisation by slug, the API token by hash).

The ORM builds and compiles a query anew on every call, and for these one-row lookups that costs two to three
times what running them does. The SQL here names each model's columns from its fields, so it follows the models,
and turns the values into instances as the ORM does (its converters, `Model.from_db`). Row-level security applies
to this SQL as to any: write the same conditions the ORM query would have, the organisation's among them.
"""

from django.db import connection


class Columns:
    """One model's concrete columns under a table alias, in a SELECT list and back into an instance."""

    def __init__(self, model, alias: str):
        self.model, self.alias = model, alias
        self.fields = tuple(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        self._converters = {}

    def __len__(self):
        return len(self.fields)

    def sql(self) -> str:
        quote = connection.ops.quote_name
        return ", ".join(f"{quote(self.alias)}.{quote(field.column)}" for field in self.fields)

    def column(self, name: str) -> str:
        quote = connection.ops.quote_name
        return f"{quote(self.alias)}.{quote(self.model._meta.get_field(name).column)}"

    def table(self) -> str:
        quote = connection.ops.quote_name
        return f"{quote(self.model._meta.db_table)} {quote(self.alias)}"

    def instance(self, values):
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


def _convert(value, functions, column, conn):
    for function in functions:
        value = function(value, column, conn)
    return value


def fetch_one(sql: str, params, *columns: Columns):
    """Run a one-row SELECT of these models' columns, in order; their instances, or None without a row."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for model_columns in columns:
        instances.append(model_columns.instance(row[start : start + len(model_columns)]))
        start += len(model_columns)
    return instances
