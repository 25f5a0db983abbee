#!/usr/bin/env bash
# A backup is only as good as its restore: dump a clinic with pg_dump, restore the dump into a new database, and
# compare the row count of every table, then check the app role can read the restored copy (docs/deployment.md).
#
#   scripts/backup_restore_check.sh                  a small demo clinic made for the check, removed after it
#   SOURCE_DB=clinic scripts/backup_restore_check.sh an existing database (read only: it is dumped, never changed)
#
# Environment: PGHOST (127.0.0.1), PGPORT (5432), ADMIN_USER (postgres: creates and drops the scratch databases),
# OWNER_ROLE (clinic_owner), APP_ROLE (clinic_app), PYTHON (.venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432}
ADMIN_USER=${ADMIN_USER:-postgres}
OWNER_ROLE=${OWNER_ROLE:-clinic_owner}
APP_ROLE=${APP_ROLE:-clinic_app}
PYTHON=${PYTHON:-.venv/bin/python}
RUN=$$
SOURCE_DB=${SOURCE_DB:-}
MADE_SOURCE=""
RESTORED_DB="clinic_restore_check_$RUN"
WORKDIR=$(mktemp -d)

admin() { psql -U "$ADMIN_USER" -d postgres -v ON_ERROR_STOP=1 -qAtc "$1"; }

cleanup() {
  admin "DROP DATABASE IF EXISTS \"$RESTORED_DB\" WITH (FORCE)" || true
  [ -n "$MADE_SOURCE" ] && { admin "DROP DATABASE IF EXISTS \"$MADE_SOURCE\" WITH (FORCE)" || true; }
  rm -rf "$WORKDIR"
}
trap cleanup EXIT

if [ -z "$SOURCE_DB" ]; then
  SOURCE_DB="clinic_backup_check_$RUN"
  MADE_SOURCE=$SOURCE_DB
  echo "== a small clinic to back up: $SOURCE_DB (migrated by $OWNER_ROLE, the demo seeded by $APP_ROLE)"
  admin "CREATE DATABASE \"$SOURCE_DB\" OWNER $OWNER_ROLE"
  DATABASE_URL="postgres://$OWNER_ROLE@$PGHOST:$PGPORT/$SOURCE_DB" DATABASE_OWNER_URL="postgres://$OWNER_ROLE@$PGHOST:$PGPORT/$SOURCE_DB" \
    DJANGO_SETTINGS_MODULE=clinic.settings.local "$PYTHON" manage.py migrate --noinput -v0
  DATABASE_URL="postgres://$APP_ROLE@$PGHOST:$PGPORT/$SOURCE_DB" DATABASE_OWNER_URL="postgres://$OWNER_ROLE@$PGHOST:$PGPORT/$SOURCE_DB" \
    DJANGO_SETTINGS_MODULE=clinic.settings.local CLINIC_LOG_LEVEL=WARNING "$PYTHON" manage.py seed_demo >/dev/null
fi

echo "== pg_dump $SOURCE_DB"
started=$(date +%s)
pg_dump -U "$ADMIN_USER" -d "$SOURCE_DB" --format=custom --file="$WORKDIR/clinic.dump"
echo "   $(du -h "$WORKDIR/clinic.dump" | cut -f1) in $(($(date +%s) - started)) s"

echo "== pg_restore into $RESTORED_DB"
started=$(date +%s)
admin "CREATE DATABASE \"$RESTORED_DB\" OWNER $OWNER_ROLE"
pg_restore -U "$ADMIN_USER" -d "$RESTORED_DB" --exit-on-error "$WORKDIR/clinic.dump"
echo "   restored in $(($(date +%s) - started)) s"

# Every table's exact row count, one "table|count" line each.
COUNTS="SELECT table_name || '|' || (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I',
  table_schema, table_name), false, true, '')))[1]::text FROM information_schema.tables
  WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name"
psql -U "$ADMIN_USER" -d "$SOURCE_DB" -v ON_ERROR_STOP=1 -qAtc "$COUNTS" >"$WORKDIR/source.txt"
psql -U "$ADMIN_USER" -d "$RESTORED_DB" -v ON_ERROR_STOP=1 -qAtc "$COUNTS" >"$WORKDIR/restored.txt"

if ! diff -u "$WORKDIR/source.txt" "$WORKDIR/restored.txt"; then
  echo "FAIL: the restored database's row counts differ from the source's (above)" >&2
  exit 1
fi
for table in accounts_user patients_patient scheduling_appointment notes_sessionnote billing_charge billing_payment \
  notifications_message audit_accesslog; do
  grep "^$table|" "$WORKDIR/source.txt" | sed 's/^/   /; s/|/: /' || true
done
tables=$(wc -l <"$WORKDIR/source.txt")
rows=$(awk -F'|' '{s += $2} END {print s}' "$WORKDIR/source.txt")
[ "$rows" -gt 0 ] || { echo "FAIL: the source has no rows to compare" >&2; exit 1; }

# The app role's grants come back with the dump: the restored copy is usable as it is.
psql -U "$APP_ROLE" -d "$RESTORED_DB" -v ON_ERROR_STOP=1 -qAtc "SELECT count(*) FROM patients_patient" >/dev/null
echo "OK: $tables tables, $rows rows, the same in the restored copy; $APP_ROLE reads it"
