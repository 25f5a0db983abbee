"""Statements prepared once per database connection.

A statement every request runs with the same SQL and other values (the menu's counts) is parsed and planned by
Postgres on every run when sent as text; for a statement of many subqueries the planning costs more than the run.
Prepared, it is parsed once per connection, and after its first few runs Postgres keeps one generic plan where that
plan costs no more than planning afresh. Two ways in: `PreparedStatement`, one statement of its own SQL read as
rows (the menu's counts), and `statements_prepared`, a block whose ORM statements are sent prepared and read by the
ORM as usual. Every request runs in such a block (`StatementsPreparedMiddleware`); the locks of many joins that the
workers and commands take too (a session with what its checks read) open one of their own.

The first run on a connection sends `PREPARE` and `EXECUTE` in one round trip, every later run `EXECUTE` alone: a
page costs the same number of queries whether or not its connection has the statement yet. A connection is known to
hold a statement only after a run that prepared it succeeded; a run that fails forgets it, and the next run prepares
it again under a new name (a name whose preparation is in doubt is never reused). Where the database's connections
are shared by a transaction pooler (Django's `DISABLE_SERVER_SIDE_CURSORS`, the setting such a pooler asks for), a
prepared statement would not follow the session, and the statement is sent as text.
"""

import contextlib
import datetime as dt
import itertools
import re
import uuid
from decimal import Decimal

from django.db import connections
from django.db.backends.signals import connection_created

_PLACEHOLDER = re.compile(r"%[%s]")
_attempts = itertools.count(1)  # every preparation gets a name of its own


def _prepared_on(connection) -> dict:
    """The statements this connection holds, by their SQL and parameter types, with the name each was prepared
    under, the one run longest ago first."""
    return connection.__dict__.setdefault("clinic_prepared", {})


def _forget_all(sender, connection, **kwargs) -> None:
    connection.__dict__["clinic_prepared"] = {}  # a new connection holds none


connection_created.connect(_forget_all, dispatch_uid="apps.core.prepared")


def _numbered(sql: str) -> str:
    """The statement with `$1`, `$2`… in place of its `%s` placeholders (a doubled `%%` stays as it is, for the
    client-side interpolation of the round trip that sends it)."""
    numbers = itertools.count(1)
    return _PLACEHOLDER.sub(lambda match: match[0] if match[0] == "%%" else f"${next(numbers)}", sql)


def _pooled(connection) -> bool:
    return bool(connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"))


# Declared types for the parameters whose literal carries a type of its own when the ORM's statement is sent as text
# (a number, a time, a truth value): a parameter left `unknown` gets its type from where it stands, as a quoted
# string does, which for these would differ (a count compared as text, `false` read back as a string).
_TYPES = (
    (bool, "boolean"),
    (int, None),  # by its size, below
    (float, "double precision"),
    (Decimal, "numeric"),
    (dt.datetime, None),  # with or without its zone, below
    (dt.date, "date"),
    (dt.time, "time"),
    (dt.timedelta, "interval"),
    (uuid.UUID, "uuid"),
    ((bytes, bytearray, memoryview), "bytea"),
)
# How many statements a connection holds at most: past it, the one run longest ago is deallocated.
HELD_LIMIT = 256


def _declared_type(value) -> str:
    for kind, name in _TYPES:
        if isinstance(value, kind):
            if kind is int:
                return "integer" if -(2**31) <= value < 2**31 else "bigint" if -(2**63) <= value < 2**63 else "numeric"
            if kind is dt.datetime:
                return "timestamp" if value.tzinfo is None else "timestamp with time zone"
            return name
    return "unknown"


def _send_prepared(connection, cursor, send, sql: str, params: list):
    """Send `sql` (`%s` placeholders, one for each of `params`) through `send(text, params)` as the statement
    `connection` holds prepared for these parameters' types, preparing it first where it does not, and leave
    `cursor` on the statement's result (after any a wrapper put first). Returns what `send` returned."""
    prepared = _prepared_on(connection)
    types = tuple(_declared_type(value) for value in params)
    name = prepared.pop((sql, types), None)  # held again below only if this run succeeds
    execute = f"EXECUTE {{}}({', '.join(['%s'] * len(params))})" if params else "EXECUTE {}"
    if name is None:
        name = f"clinic_prepared_{next(_attempts)}"
        declared = f"({', '.join(types)})" if types else ""
        released = "".join(f"DEALLOCATE {old}; " for old in _released(prepared))
        result = send(f"{released}PREPARE {name}{declared} AS {_numbered(sql)}; {execute.format(name)}", params)
    else:
        result = send(execute.format(name), params)
    while cursor.nextset():  # to the last result, EXECUTE's (PREPARE's, and any a wrapper put first, before it)
        pass
    prepared[(sql, types)] = name  # last: the statements are held in the order they were last run
    return result


def _released(prepared: dict) -> list[str]:
    """The names to deallocate before one more is prepared, so that the connection holds at most `HELD_LIMIT`."""
    names = []
    while len(prepared) >= HELD_LIMIT:
        names.append(prepared.pop(next(iter(prepared))))
    return names


class PreparedStatement:
    """One SQL statement of the ORM's kind (`%s` placeholders), run with parameters on `database`."""

    def __init__(self, database: str, sql: str):
        self.database = database
        self.sql = sql

    def fetchone(self, params) -> tuple | None:
        """Run the statement with `params` and return its first row."""
        connection = connections[self.database]
        params = list(params)  # never None: the doubled `%` of the statement are interpolated on every path
        with connection.cursor() as cursor:  # connects first where needed, which empties the connection's list
            if _pooled(connection):
                cursor.execute(self.sql, params)
            else:
                _send_prepared(connection, cursor, cursor.execute, self.sql, params)
            return cursor.fetchone()


_OWN = ("PREPARE clinic_prepared_", "EXECUTE clinic_prepared_", "DEALLOCATE clinic_prepared_")


def ran_prepared(sent: str) -> bool:
    """Whether the text sent to the server ran a statement prepared here (`apps.core.postgresql` logs the statement
    instead)."""
    return "EXECUTE clinic_prepared_" in sent


def _prepared_execute(execute, sql, params, many, context):
    """A connection's execute wrapper (`statements_prepared`): each statement with a list of parameters is sent
    prepared. One without (savepoints, a statement whose `%` are literal) is sent as it is, and so are a batch, a
    named cursor's (`iterator()`: the server declares the cursor for the statement's text) and a
    `PreparedStatement`'s own run."""
    connection = context["connection"]
    if (
        many
        or params is None
        or isinstance(params, dict)
        or getattr(context["cursor"], "name", None)
        or _pooled(connection)
        or sql.startswith(_OWN)
    ):
        return execute(sql, params, many, context)
    return _send_prepared(
        connection, context["cursor"], lambda text, values: execute(text, values, many, context), sql, list(params)
    )


@contextlib.contextmanager
def statements_prepared(database: str = "default"):
    """The statements the ORM sends on `database` inside the block are prepared on its connection: Postgres plans
    a page's statements, and most of all a join of many tables, for longer than it runs them. The ORM reads their
    results as it would the text's, and counts each run as one query. A block inside another adds nothing."""
    connection = connections[database]
    if _prepared_execute in connection.execute_wrappers:
        yield
        return
    # First of the wrappers, so that it sees the ORM's statement before another prefixes it (the row history's
    # context) and the statement it prepares is the ORM's alone.
    connection.execute_wrappers.insert(0, _prepared_execute)
    try:
        yield
    finally:
        connection.execute_wrappers.remove(_prepared_execute)


class StatementsPreparedMiddleware:
    """A request's statements on the default database are sent prepared (`statements_prepared`): a page's statements
    are parsed and planned once per connection and their generic plans kept, instead of on every request. First of
    the middleware, so that the session's and the user's reads are prepared too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with statements_prepared():
            return self.get_response(request)
