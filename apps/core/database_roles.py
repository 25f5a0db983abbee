"""The two database roles (docs/database-roles.md), as seen from the code.

The owner role owns the schema and runs `migrate`; the app role, which the web app and workers use, may only
read and write rows. Ownership is what makes the difference: only a table's owner (or a superuser) can disable,
drop or replace its triggers, so the app role cannot switch off the note locks or the append-only ledgers.
"""

from django.conf import settings
from django.db import connections

# The DATABASES alias that connects as the owner role (DATABASE_OWNER_URL).
OWNER_DATABASE = "owner"

# pgtrigger skips any of its triggers named in the session variable `pgtrigger.ignore`, and any role can set a
# session variable. Every trigger migration (re)installs pgtrigger's version of this function; after each
# `migrate` it is replaced by this one, which reads the list only in a session of the function's owner (the role
# that migrated). Same name, arguments and result, so every installed trigger calls it unchanged.
OWNER_ONLY_IGNORE_FUNCTION = """
CREATE OR REPLACE FUNCTION "public"._pgtrigger_should_ignore(trigger_name NAME) RETURNS BOOLEAN AS $$
    DECLARE
        _pgtrigger_ignore TEXT[];
    BEGIN
        BEGIN
            SELECT INTO _pgtrigger_ignore CURRENT_SETTING('pgtrigger.ignore');
            EXCEPTION WHEN OTHERS THEN
        END;
        IF _pgtrigger_ignore IS NULL OR NOT trigger_name = ANY(_pgtrigger_ignore) THEN
            RETURN FALSE;
        END IF;
        RETURN pg_has_role(
            current_user,
            (SELECT proowner FROM pg_proc WHERE oid = '"public"._pgtrigger_should_ignore(name)'::regprocedure),
            'MEMBER'
        );
    END;
$$ LANGUAGE plpgsql;
"""


def is_schema_owner(*, using: str) -> bool:
    """True when the connection's role owns (or is a superuser over) the migrated tables."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT pg_has_role(current_user, relowner, 'MEMBER') FROM pg_class "
            "WHERE oid = 'django_migrations'::regclass"
        )
        return cursor.fetchone()[0]


def database_privileges_apply(sender, *, using: str, **kwargs) -> None:
    """After `migrate`: the app role may read and write every table's rows and nothing more, and
    pgtrigger's off switch obeys only the owner. A flush (tests) also sends post_migrate, as the app role,
    which can change neither; it is left alone."""
    if not is_schema_owner(using=using):
        return
    app_role = settings.DATABASE_APP_ROLE
    with connections[using].cursor() as cursor:
        cursor.execute(OWNER_ONLY_IGNORE_FUNCTION)
        cursor.execute("SELECT current_user, EXISTS (SELECT FROM pg_roles WHERE rolname = %s)", [app_role])
        current_user, app_role_exists = cursor.fetchone()
        # Without the role (a database only ever used by its owner, e.g. the benchmark's) there is nobody to grant.
        if not app_role_exists or current_user == app_role:
            return
        role = connections[using].ops.quote_name(app_role)
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}")
        cursor.execute(f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {role}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
