"""Django's PostgreSQL backend, with the query log naming the statement a prepared run executed.

A statement sent prepared (`apps.core.prepared`) goes to the server as `EXECUTE clinic_prepared_7(…)`; Django's log
of the queries (`connection.queries` under DEBUG, the tests' captured queries) records what was sent, which names
no table. It records the statement itself instead, with its parameters, as Django does for every other statement.
"""

from django.db.backends.postgresql import base, operations

from apps.core.prepared import ran_prepared


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        sent = super().last_executed_query(cursor, sql, params)
        if sent is not None and params is not None and ran_prepared(sent):
            return self.compose_sql(sql, params)
        return sent


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
