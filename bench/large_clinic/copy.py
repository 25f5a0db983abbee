"""Bulk loading for the large-clinic dataset: id blocks from the tables' own sequences and COPY of model rows.

Rows are plain dicts keyed by field attname; fields left out get the model's default, so a row can never
miss a NOT NULL column. COPY goes through the same table, constraints and triggers as an ORM insert.
"""

import contextlib
import datetime as dt
import itertools
import json
import re
from collections.abc import Iterable

from django.db import connection, models
from django.utils import timezone


def ids_reserve(model: type[models.Model], count: int) -> int:
    """Take `count` consecutive ids from the table's id sequence and return the first."""
    if count <= 0:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
        (sequence,) = cursor.fetchone()
        cursor.execute("SELECT nextval(%s)", [sequence])
        (first,) = cursor.fetchone()
        cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


def sequence_block(sequence: str, count: int) -> int:
    """Take `count` consecutive numbers from a named sequence (chart and receipt numbers); return the first."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s)", [sequence])
        (first,) = cursor.fetchone()
        if count > 1:
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
    return first


def _defaults(model: type[models.Model], now: dt.datetime) -> dict[str, object]:
    defaults = {}
    for field in model._meta.concrete_fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            defaults[field.attname] = now
        elif field.has_default() or field.null or field.empty_strings_allowed:
            defaults[field.attname] = field.get_default()
    return defaults


def _adapt(value):
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, list):
        return "{" + ",".join(str(v) for v in value) + "}"
    return value


def rows_copy(model: type[models.Model], rows: Iterable[dict]) -> int:
    """COPY rows into the model's table; every concrete column is written. Returns the row count."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.attname not in first)]
    defaults = _defaults(model, timezone.now())
    missing = object()
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    written = 0
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {model._meta.db_table} ({columns}) FROM STDIN") as copy,
    ):
        for row in itertools.chain([first], rows):
            values = []
            for field in fields:
                value = row.get(field.attname, missing)
                if value is missing:
                    value = defaults.get(field.attname, missing)
                    if value is missing:
                        raise ValueError(f"{model.__name__}.{field.attname} needs a value")
                values.append(_adapt(value))
            copy.write_row(values)
            written += 1
    return written


INSERT_EVENT = re.compile(
    r'INSERT INTO "(?P<table>\w+)" \((?P<columns>[^)]*)\) VALUES \((?P<values>.*)\);\s*RETURN NULL;', re.S
)


def _history_insert_triggers(model: type[models.Model]) -> list[tuple[str, str]]:
    """The row-history (pghistory) insert triggers on the model's table: (trigger name, function source)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT t.tgname, p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                WHERE t.tgrelid = %s::regclass AND t.tgname LIKE 'pgtrigger_insert_insert_%%' AND NOT t.tgisinternal""",
            [model._meta.db_table],
        )
        return cursor.fetchall()


@contextlib.contextmanager
def history_in_bulk(*tracked: type[models.Model]):
    """Write the row-history insert events of bulk-loaded tables in one statement per table.

    The history trigger fires once per row and opens a subtransaction each time, which dominates a load of
    hundreds of thousands of rows. Inside this block those triggers stand aside (pgtrigger's own ignore
    switch, for this transaction only); on the way out every row of the tables gets the very insert event
    the trigger would have written, built from the trigger's own INSERT statement. Only for tables that
    were empty before the block: each of their rows gets one event.
    """
    statements, names = [], []
    for model in tracked:
        for name, source in _history_insert_triggers(model):
            match = INSERT_EVENT.search(source)
            if match is None:
                raise RuntimeError(f"Unexpected history trigger {name} on {model._meta.db_table}")
            values = match["values"].replace("NEW.", "t.").replace("_pgh_attach_context()", "NULL")
            statements.append(
                # Built from the trigger's own statement and the model's table name; no outside input.
                f'INSERT INTO "{match["table"]}" ({match["columns"]}) SELECT {values} FROM {model._meta.db_table} t'
            )
            names.append(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(names) + "}"])
    yield
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('pgtrigger.ignore', '{}', true)")
        for statement in statements:
            cursor.execute(statement)
