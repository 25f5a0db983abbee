"""How a transactional test ends: every table emptied, as Django's flush leaves the database, at a fraction of its cost.

Django's flush TRUNCATEs every table, some 125, whatever they hold (each TRUNCATE makes new files for the table and
its indexes), then sends post_migrate, which writes the content types, the permissions and the shipped reference
rows again. A test fills a handful of tables. Here only the tables that hold rows are emptied: with DELETE, cheap on
a few rows, or with TRUNCATE where a trigger refuses a DELETE (the ledger, signed notes, the access log), together
with every table that references it, as TRUNCATE requires.

The tables that hold rows right after a flush (content types, permissions, role groups, note templates, intake
documents and their history) are the reference rows. They are left in place when every one of them is still what
the previous flush left, row for row; otherwise (a test changed one, or a row of theirs points at a row being
emptied) they are all emptied and written again, as Django's flush does. post_migrate goes out as after Django's
flush, so every cache of rows forgets; only the content types and permissions, when kept, are not checked again.
"""

import contextlib
from contextvars import ContextVar
from importlib import import_module

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.core.management.sql import emit_post_migrate_signal
from django.db import connections, transaction
from django.db.models.signals import post_migrate

# Per database alias: table -> fingerprint of its rows, for every table that held rows at the end of the last flush.
_after_flush: dict[str, dict[str, str]] = {}

# True while post_migrate goes out after a flush that kept the reference rows.
_reference_rows_kept: ContextVar[bool] = ContextVar("reference_rows_kept", default=False)

_FOREIGN_KEYS = """
SELECT referencing.relname, referenced.relname, constraint_.condeferrable,
       ARRAY(SELECT attname FROM pg_attribute
             WHERE attrelid = constraint_.conrelid AND attnum = ANY(constraint_.conkey))
FROM pg_constraint constraint_
JOIN pg_class referencing ON referencing.oid = constraint_.conrelid
JOIN pg_class referenced ON referenced.oid = constraint_.confrelid
WHERE constraint_.contype = 'f' AND referencing.relnamespace = 'public'::regnamespace
"""

# Tables with a trigger on DELETE (bit 8 of tgtype): a DELETE there may be refused, a TRUNCATE (which fires no row
# trigger) is not.
_DELETE_GUARDED = """
SELECT DISTINCT table_.relname FROM pg_trigger trigger_ JOIN pg_class table_ ON table_.oid = trigger_.tgrelid
WHERE NOT trigger_.tgisinternal AND trigger_.tgtype & 8 <> 0 AND table_.relnamespace = 'public'::regnamespace
"""


def _holding_rows(cursor, quote, tables) -> set[str]:
    if not tables:
        return set()
    cursor.execute(
        " UNION ALL ".join(f"SELECT %s WHERE EXISTS (SELECT FROM {quote(table)})" for table in tables), list(tables)
    )
    return {name for (name,) in cursor.fetchall()}


def _fingerprints(cursor, quote, tables) -> dict[str, str]:
    if not tables:
        return {}
    cursor.execute(
        " UNION ALL ".join(
            f"SELECT %s, md5(string_agg(row_::text, E'\\n' ORDER BY row_::text)) FROM {quote(table)} row_"
            for table in tables
        ),
        list(tables),
    )
    return dict(cursor.fetchall())


def _points_anywhere(cursor, quote, keys) -> bool:
    """Whether any row fills one of these foreign keys ((table, columns) pairs)."""
    if not keys:
        return False
    cursor.execute(
        "SELECT "
        + " OR ".join(
            f"EXISTS (SELECT FROM {quote(table)} WHERE "
            + " AND ".join(f"{quote(column)} IS NOT NULL" for column in columns)
            + ")"
            for table, columns in keys
        )
    )
    return cursor.fetchone()[0]


def _referencing_closure(tables: set[str], referenced_by: dict[str, set[str]]) -> set[str]:
    """`tables` and every table that references one of them, directly or through others."""
    closure, todo = set(tables), list(tables)
    while todo:
        for referencing in referenced_by.get(todo.pop(), ()):
            if referencing not in closure:
                closure.add(referencing)
                todo.append(referencing)
    return closure


def _delete_order(tables: set[str], immediate_references: set[tuple[str, str]]) -> list[str]:
    """The tables in an order that deletes a row before the row it references through a foreign key checked at once
    (Django's are checked at the commit)."""
    ordered, left = [], set(tables)
    while left:
        ready = sorted(
            table
            for table in left
            if not any(
                referenced == table and referencing in left and referencing != table
                for referencing, referenced in immediate_references
            )
        )
        ready = ready or sorted(left)  # a cycle of immediate references: no order helps
        ordered += ready
        left -= set(ready)
    return ordered


def database_flush(*, using: str) -> None:
    """Leave the database as Django's flush (without resetting sequences) leaves it."""
    connection = connections[using]
    quote = connection.ops.quote_name
    # As Django's flush does: the apps' management modules connect their post_migrate receivers.
    for app_config in apps.get_app_configs():
        with contextlib.suppress(ImportError):
            import_module(".management", app_config.name)
    tables = sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(_FOREIGN_KEYS)
        references = cursor.fetchall()
        referenced_by: dict[str, set[str]] = {}
        for referencing, referenced, _, _ in references:
            referenced_by.setdefault(referenced, set()).add(referencing)
        cursor.execute(_DELETE_GUARDED)
        guarded = {name for (name,) in cursor.fetchall()}

        holding = _holding_rows(cursor, quote, tables)
        reference = _after_flush.get(using, {})
        kept = set()
        if reference and reference.keys() <= holding and _fingerprints(cursor, quote, sorted(reference)) == reference:
            kept = set(reference)
        while True:
            emptied = holding - kept
            truncated = _referencing_closure(emptied & guarded, referenced_by)
            pointing = {
                (referencing, tuple(columns))
                for referencing, referenced, _, columns in references
                if referencing in kept and referenced in emptied | truncated
            }
            if kept and (truncated & kept or _points_anywhere(cursor, quote, pointing)):
                kept = set()
                continue
            break
        # Some tables in `truncated` hold no rows: TRUNCATE wants every table that references one it empties.
        if truncated:
            cursor.execute("TRUNCATE " + ", ".join(quote(table) for table in sorted(truncated)))
        immediate = {
            (referencing, referenced) for referencing, referenced, deferrable, _ in references if not deferrable
        }
        for table in _delete_order(emptied - truncated, immediate):
            cursor.execute(f"DELETE FROM {quote(table)}")

    token = _reference_rows_kept.set(bool(kept))
    try:
        emit_post_migrate_signal(0, False, using)
    finally:
        _reference_rows_kept.reset(token)

    with connection.cursor() as cursor:
        _after_flush[using] = _fingerprints(cursor, quote, sorted(_holding_rows(cursor, quote, tables)))


def _unless_reference_rows_kept(writer):
    def receiver(**kwargs):
        if not _reference_rows_kept.get():
            writer(**kwargs)

    receiver.__qualname__ = writer.__qualname__
    return receiver


def reference_writers_guard() -> None:
    """Have the content types' and permissions' post_migrate writers skip a flush that kept their rows (they would
    only read each app's rows again to find nothing missing). Call it before connecting a receiver that needs them."""
    post_migrate.disconnect(create_contenttypes)
    post_migrate.disconnect(dispatch_uid="django.contrib.auth.management.create_permissions")
    post_migrate.connect(
        _unless_reference_rows_kept(create_contenttypes), weak=False, dispatch_uid="tests-contenttypes"
    )
    post_migrate.connect(_unless_reference_rows_kept(create_permissions), weak=False, dispatch_uid="tests-permissions")
