"""Rows of other tables read beside one row in the same query, and read back into model instances.

A page card that shows rows of several tables asks for them in one round trip: each table's rows as an array of
JSON objects (`ArraySubquery` of `row_of`) beside one row they all hang from (the patient's, the plan's), then
`from_row` turns each object into the instance the ORM would have read."""

import re

from django.db import connection
from django.db.models import DecimalField, F, Func, JSONField, Model, TextField
from django.db.models.base import DEFERRED
from django.db.models.functions import Cast

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class JSONRow(Func):
    """`JSONB_BUILD_OBJECT('key', value, …)`: what Django's `JSONObject` sends to PostgreSQL, with the keys written
    into the statement instead of passed as values. `JSONObject` makes each key a parameter wrapped in a cast to
    text, built anew on every compilation; for a card's rows of twenty columns that was most of the cost of its
    query in Python. The keys are names of columns and relations (checked to be identifiers), never input."""

    function = "JSONB_BUILD_OBJECT"
    output_field = JSONField()

    def __init__(self, **fields):
        for key in fields:
            if not _KEY.fullmatch(key):
                raise ValueError(f"not a column name: {key!r}")
        self.keys = tuple(fields)
        super().__init__(*fields.values())

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for key, expression in zip(self.keys, self.get_source_expressions(), strict=True):
            sql, expression_params = compiler.compile(expression)
            parts.append(f"'{key}', {sql}")
            params.extend(expression_params)
        return f"{self.function}({', '.join(parts)})", params


def row_of(model: type[Model], prefix: str = "", *, only: tuple[str, ...] = (), **beside) -> JSONRow:
    """The columns of `model` (all of them, or those named in `only`), reached through `prefix`, as one JSON
    object, with `beside` them a related row (`row_of` again, under the relation's name) or an annotation."""
    fields = [f for f in model._meta.concrete_fields if not only or f.name in only or f.attname in only]
    return JSONRow(**{f.attname: _column(f, prefix) for f in fields}, **beside)


def _column(field, prefix: str):
    # JSON numbers are read back as floats: an amount goes as its text, so that it returns as the exact Decimal.
    column = F(prefix + field.attname)
    return Cast(column, TextField()) if isinstance(field, DecimalField) else column


def from_row(model: type[Model], row: dict) -> Model:
    """The instance a row of `row_of` describes, as if the ORM had read it: a column left out is deferred (as with
    `only()`), a related row beside it becomes the related instance (None when the relation is empty) and any
    other value an attribute (as an annotation is). JSON carries times as ISO text and amounts as their
    text (`row_of`), which each field reads back exactly (microseconds and offset, cents)."""
    fields = model._meta.concrete_fields
    values = [f.to_python(row[f.attname]) if f.attname in row else DEFERRED for f in fields]
    instance = model.from_db(connection.alias, [f.attname for f in fields], values)
    columns = {f.attname for f in fields}
    for name, value in row.items():
        if name in columns:
            continue
        relation = next((f for f in fields if f.is_relation and f.name == name), None)
        if relation is None:
            setattr(instance, name, value)
        else:
            related = relation.related_model
            setattr(instance, name, from_row(related, value) if value[related._meta.pk.attname] is not None else None)
    return instance
