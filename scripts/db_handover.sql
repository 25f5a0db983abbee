-- Hands the current database to the owner role and lets the app role read and write its rows
-- (docs/database-roles.md). Run as a superuser inside the clinic's database, after scripts/db_roles.sql:
--   psql "postgres://postgres@127.0.0.1:5432/clinic" -v owner=clinic_owner -v app=clinic_app -f scripts/db_handover.sql
-- Safe to re-run, on a new database and on one whose tables another role (e.g. postgres) created.
\set ON_ERROR_STOP on
\if :{?owner}
\else
\set owner clinic_owner
\endif
\if :{?app}
\else
\set app clinic_app
\endif
SELECT current_database() AS database \gset

ALTER DATABASE :"database" OWNER TO :"owner";
ALTER SCHEMA public OWNER TO :"owner";
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"database" TO :"app";
GRANT USAGE ON SCHEMA public TO :"app";

-- What an earlier role created passes to the owner: tables, views and sequences (a column's own sequence
-- follows its table), then functions (the trigger functions). Extensions keep their objects.
SELECT format('ALTER %s public.%I OWNER TO %I',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              c.relname, :'owner')
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace
   AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND pg_get_userbyid(c.relowner) <> :'owner'
   AND NOT EXISTS (SELECT FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i', 'e'))
 ORDER BY c.relkind = 'S', c.relname \gexec
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'owner')
  FROM pg_proc p
 WHERE p.pronamespace = 'public'::regnamespace
   AND pg_get_userbyid(p.proowner) <> :'owner'
   AND NOT EXISTS (SELECT FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') \gexec

-- Rows only: read, add, change, remove. Never TRUNCATE, REFERENCES or TRIGGER; never ownership.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO :"app";
