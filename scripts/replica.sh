#!/usr/bin/env bash
# A real streaming replica of the local Postgres cluster on another port, for the replica tests and for trying
# reports on a replica by hand (docs/deployment.md).
#
#   scripts/replica.sh start    copy the primary with pg_basebackup and start the copy as a hot standby
#   scripts/replica.sh stop     stop it and delete its data directory
#   scripts/replica.sh status   say whether it runs and how far behind it is
#
# Environment: PRIMARY_HOST (127.0.0.1), PRIMARY_PORT (5432), PRIMARY_USER (postgres: a role with REPLICATION),
# REPLICA_PORT (5433), REPLICA_DIR (/tmp/clinic-replica-$REPLICA_PORT), PGBIN (the newest /usr/lib/postgresql/*/bin).
# The primary needs wal_level replica or logical, max_wal_senders above 0 and a pg_hba.conf line that lets
# PRIMARY_USER make replication connections from PRIMARY_HOST; the script checks all three and says what is missing.
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
PRIMARY_USER=${PRIMARY_USER:-postgres}
REPLICA_PORT=${REPLICA_PORT:-5433}
REPLICA_DIR=${REPLICA_DIR:-/tmp/clinic-replica-$REPLICA_PORT}
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
PRIMARY=(-h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PRIMARY_USER")

die() { echo "replica: $*" >&2; exit 1; }

# Postgres refuses to run as root: as root, the server's files and processes belong to the postgres user.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

primary_setting() { psql "${PRIMARY[@]}" -d postgres -Atc "SHOW $1"; }

check_primary() {
  [ -x "$PGBIN/pg_basebackup" ] || die "no Postgres server binaries at PGBIN=$PGBIN"
  pg_isready -q "${PRIMARY[@]}" || die "the primary does not answer on $PRIMARY_HOST:$PRIMARY_PORT"
  case "$(primary_setting wal_level)" in
    replica | logical) ;;
    *) die "the primary has wal_level=$(primary_setting wal_level); set wal_level = replica and restart it" ;;
  esac
  [ "$(primary_setting max_wal_senders)" -gt 0 ] || die "the primary has max_wal_senders = 0; raise it and restart it"
  if ! psql "host=$PRIMARY_HOST port=$PRIMARY_PORT user=$PRIMARY_USER replication=true" -Atc "IDENTIFY_SYSTEM" \
    >/dev/null 2>&1; then
    die "the primary refuses replication connections from $PRIMARY_HOST for $PRIMARY_USER. Add this line to
  $(primary_setting hba_file) and reload (SELECT pg_reload_conf()):
  host replication $PRIMARY_USER $PRIMARY_HOST/32 trust"
  fi
}

running() { [ -f "$REPLICA_DIR/postmaster.pid" ] && as_server_user "$PGBIN/pg_ctl" -D "$REPLICA_DIR" status >/dev/null 2>&1; }

start() {
  if running; then
    echo "replica: already running on port $REPLICA_PORT ($REPLICA_DIR)"
    return
  fi
  check_primary
  rm -rf "$REPLICA_DIR"
  mkdir -p "$REPLICA_DIR"
  chmod 700 "$REPLICA_DIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$REPLICA_DIR"; fi
  # -R writes standby.signal and the connection back to the primary; -X stream copies the WAL written meanwhile.
  as_server_user "$PGBIN/pg_basebackup" "${PRIMARY[@]}" -D "$REPLICA_DIR" -R -X stream --checkpoint=fast
  # Debian keeps the primary's configuration outside its data directory: the copy gets its own.
  if [ ! -f "$REPLICA_DIR/pg_hba.conf" ]; then
    as_server_user cp "$(primary_setting hba_file)" "$REPLICA_DIR/pg_hba.conf"
  fi
  as_server_user touch "$REPLICA_DIR/pg_ident.conf"
  as_server_user tee "$REPLICA_DIR/postgresql.conf" >/dev/null <<EOF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$REPLICA_DIR'
hot_standby = on
max_connections = $(primary_setting max_connections)
EOF
  as_server_user "$PGBIN/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_DIR/server.log" -w -t 60 start >/dev/null \
    || die "the replica did not start:
$(tail -n 20 "$REPLICA_DIR/server.log")"
  for _ in $(seq 1 60); do
    if [ "$(psql -h 127.0.0.1 -p "$REPLICA_PORT" -U "$PRIMARY_USER" -d postgres -Atc 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ]; then
      echo "replica: streaming from $PRIMARY_HOST:$PRIMARY_PORT, read-only on 127.0.0.1:$REPLICA_PORT ($REPLICA_DIR)"
      return
    fi
    sleep 0.5
  done
  die "the replica started but is not in recovery:
$(tail -n 20 "$REPLICA_DIR/server.log")"
}

stop() {
  if running; then
    as_server_user "$PGBIN/pg_ctl" -D "$REPLICA_DIR" -m fast -w stop >/dev/null
  fi
  rm -rf "$REPLICA_DIR"
  echo "replica: stopped"
}

status() {
  if ! running; then
    echo "replica: not running"
    return 3
  fi
  psql -h 127.0.0.1 -p "$REPLICA_PORT" -U "$PRIMARY_USER" -d postgres -Atc \
    "SELECT 'replica: in recovery ' || pg_is_in_recovery() || ', replayed up to ' || pg_last_wal_replay_lsn()"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac
