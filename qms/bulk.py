"""Many rows of one model in one INSERT, whatever their number: the rows travel as one array per column
(PostgreSQL's unnest) or as one JSON array (SQLite's json_each), not as parameters of their own, and no model
instance is built. What a send of 10,000 invitations and their 10,000 emails writes (surveys, the outbox), and what
a campaign's wave of 100,000 will. Other databases get bulk_create.

    insert_rows(Invitation, same={"organization": org, "send": send, ...},
                columns=["contact", "token_hash", "message"], rows=[(7, "…", 12), ...])

`same` holds the values every row shares (model instances for foreign keys, any value a field takes); `columns`
name the fields each row gives, in its order, as database values (ids for foreign keys, dicts for JSON). With
`returning`, the fields named come back for every row written (match them to the rows by a unique one)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

ARRAY_TYPES = {"bigint": "bigint", "integer": "integer", "smallint": "smallint", "boolean": "boolean"}


def _field(model: type[models.Model], name: str) -> models.Field:
    return model._meta.get_field(name)  # type: ignore[return-value]  # concrete fields only


def _column(model: type[models.Model], name: str) -> str:
    return connection.ops.quote_name(str(_field(model, name).column))


def _is_json(field: models.Field) -> bool:
    return isinstance(field, models.JSONField)


def insert_rows(
    model: type[models.Model],
    *,
    same: dict[str, Any],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: Sequence[str] = (),
) -> list[tuple]:
    if not rows:
        return []
    vendor = connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        return _bulk_create(model, same=same, columns=columns, rows=rows, returning=returning)
    table = connection.ops.quote_name(model._meta.db_table)
    fixed = [_field(model, name) for name in same]
    given = [_field(model, name) for name in columns]
    names = ", ".join(_column(model, name) for name in [*same, *columns])
    fixed_params = [
        field.get_db_prep_save(value.pk if isinstance(value, models.Model) else value, connection)
        for field, value in zip(fixed, same.values(), strict=True)
    ]
    back = ""
    if returning:
        back = " RETURNING " + ", ".join(_column(model, name) for name in returning)
    if vendor == "postgresql":
        selected, arrays, params = [], [], []
        for n, field in enumerate(given):
            kind = field.cast_db_type(connection) or "text"
            array = ARRAY_TYPES.get(kind, "text")
            arrays.append(f"%s::{array}[]")
            selected.append(f"r.c{n}" if array != "text" else f"r.c{n}::{kind}")
            values = [row[n] for row in rows]
            params.append([json.dumps(v, cls=DjangoJSONEncoder) for v in values] if _is_json(field) else values)
        aliases = ", ".join(f"c{n}" for n in range(len(given)))
        sql = (
            f"INSERT INTO {table} ({names}) SELECT {', '.join(['%s'] * len(fixed))}{', ' if fixed else ''}"  # noqa: S608 - names from the model, values as parameters
            f"{', '.join(selected)} FROM unnest({', '.join(arrays)}) WITH ORDINALITY AS r({aliases}, n) "
            f"ORDER BY r.n{back}"
        )
        all_params = [*fixed_params, *params]
    else:
        selected = [f"json_extract(r.value, '$[{n}]')" for n in range(len(given))]
        packed = json.dumps(
            [[_sqlite_value(field, value) for field, value in zip(given, row, strict=True)] for row in rows],
            cls=DjangoJSONEncoder,
        )
        sql = (
            f"INSERT INTO {table} ({names}) SELECT {', '.join(['%s'] * len(fixed))}{', ' if fixed else ''}"  # noqa: S608 - names from the model, values as parameters
            f"{', '.join(selected)} FROM json_each(%s) AS r ORDER BY r.key{back}"
        )
        all_params = [*fixed_params, packed]
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        return [tuple(row) for row in cursor.fetchall()] if returning else []


def _sqlite_value(field: models.Field, value: Any) -> Any:
    """What json_extract must give back to be the column's value: a JSON column's text, a datetime's string."""
    if _is_json(field):
        return json.dumps(value, cls=DjangoJSONEncoder)
    return field.get_db_prep_save(value, connection) if not isinstance(value, (int, str)) else value


def _bulk_create(
    model: type[models.Model],
    *,
    same: dict[str, Any],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: Sequence[str],
) -> list[tuple]:
    attnames = [_field(model, name).attname for name in columns]
    created = model._default_manager.bulk_create(
        [model(**same, **dict(zip(attnames, row, strict=True))) for row in rows]
    )
    return [tuple(getattr(obj, _field(model, n).attname) for n in returning) for obj in created]
