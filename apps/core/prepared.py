"""Statements prepared once per database connection.

A statement every request runs with the same SQL and other values (the menu's counts) is parsed and planned by
Postgres on every run when sent as text; for a statement of many subqueries the planning costs more than the run.
Prepared, it is parsed once per connection, and after its first few runs Postgres keeps one generic plan where that
plan costs no more than planning afresh.

The first run on a connection sends `PREPARE` and `EXECUTE` in one round trip, every later run `EXECUTE` alone: a
page costs the same number of queries whether or not its connection has the statement yet. A connection is known to
hold a statement only after a run that prepared it succeeded; a run that fails forgets it, and the next run prepares
it again under a new name (a name whose preparation is in doubt is never reused). Where the database's connections
are shared by a transaction pooler (Django's `DISABLE_SERVER_SIDE_CURSORS`, the setting such a pooler asks for), a
prepared statement would not follow the session, and the statement is sent as text.
"""

import itertools
import re

from django.db import connections
from django.db.backends.signals import connection_created

_PLACEHOLDER = re.compile(r"%[%s]")
_attempts = itertools.count(1)  # every preparation gets a name of its own


def _prepared_on(connection) -> dict:
    """The statements this connection holds, by their SQL, with the name each was prepared under."""
    return connection.__dict__.setdefault("clinic_prepared", {})


def _forget_all(sender, connection, **kwargs) -> None:
    connection.__dict__["clinic_prepared"] = {}  # a new connection holds none


connection_created.connect(_forget_all, dispatch_uid="apps.core.prepared")


def _numbered(sql: str) -> tuple[str, int]:
    """The statement with `$1`, `$2`… in place of its `%s` placeholders (a doubled `%%` stays as it is, for the
    client-side interpolation of the round trip that sends it), and how many there are."""
    numbers = itertools.count(1)
    body = _PLACEHOLDER.sub(lambda match: match[0] if match[0] == "%%" else f"${next(numbers)}", sql)
    return body, next(numbers) - 1


class PreparedStatement:
    """One SQL statement of the ORM's kind (`%s` placeholders), run with parameters on `database`."""

    def __init__(self, database: str, sql: str):
        self.database = database
        self.sql = sql
        self._body, self._arity = _numbered(sql)

    def fetchone(self, params) -> tuple | None:
        """Run the statement with `params` and return its first row."""
        connection = connections[self.database]
        params = list(params)  # never None: the doubled `%` of the statement are interpolated on every path
        with connection.cursor() as cursor:  # connects first where needed, which empties the connection's list
            if connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
                cursor.execute(self.sql, params)
                return cursor.fetchone()
            prepared = _prepared_on(connection)
            name = prepared.pop(self.sql, None)  # held again below only if this run succeeds
            fresh = name is None
            if fresh:
                name = f"clinic_prepared_{next(_attempts)}"
            execute = f"EXECUTE {name}({', '.join(['%s'] * self._arity)})" if self._arity else f"EXECUTE {name}"
            cursor.execute(f"PREPARE {name} AS {self._body}; {execute}" if fresh else execute, params)
            while cursor.nextset():  # to the last result, EXECUTE's (PREPARE's, and any a wrapper put first, before it)
                pass
            row = cursor.fetchone()
        prepared[self.sql] = name
        return row
