"""Moving the test database to a migration, for tests of what a migration does to rows written before it."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(target: tuple[str, str]) -> MigrationExecutor:
    """Migrate to `target` (app label, migration name) inside the test's transaction. `migrate` runs each migration in
    a transaction of its own; here the rows the test wrote are still in this one, their foreign-key checks pending,
    and Postgres alters no table with checks pending on it, so they are checked first."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor
