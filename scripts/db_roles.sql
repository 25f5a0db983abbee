-- The clinic's two database roles (docs/database-roles.md). Run as a superuser; safe to re-run.
--   psql "postgres://postgres@127.0.0.1:5432/postgres" -v owner=clinic_owner -v app=clinic_app \
--        [-v owner_password=...] [-v app_password=...] -f scripts/db_roles.sql
-- Then, inside each clinic database, scripts/db_handover.sql.
\set ON_ERROR_STOP on
\if :{?owner}
\else
\set owner clinic_owner
\endif
\if :{?app}
\else
\set app clinic_app
\endif

SELECT format('CREATE ROLE %I', :'owner') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I', :'app') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec

-- The owner owns the schema and runs migrations and key rotation. It is not a superuser; it may create
-- databases so that a test run can create its own.
ALTER ROLE :"owner" LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
-- The web app and workers: rows only. No attribute and no membership that could lift a lock or alter a table.
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
SELECT format('REVOKE %I FROM %I', g.rolname, m.rolname)
  FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
 WHERE m.rolname = :'app' \gexec

\if :{?owner_password}
ALTER ROLE :"owner" PASSWORD :'owner_password';
\endif
\if :{?app_password}
ALTER ROLE :"app" PASSWORD :'app_password';
\endif
