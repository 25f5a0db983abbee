# Clinic: one command to run, one to test. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DJANGO_SETTINGS_MODULE ?= clinic.settings.local
# The web app and workers connect as the app role; migrations and key rotation as the owner
# (docs/database-roles.md). The admin URL (a superuser) only creates the database and the two roles.
export DATABASE_URL ?= postgres://clinic_app@127.0.0.1:5432/clinic
export DATABASE_OWNER_URL ?= postgres://clinic_owner@127.0.0.1:5432/clinic
DATABASE_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/clinic
export REDIS_URL ?= redis://127.0.0.1:6379/0
PORT ?= 8000

.PHONY: venv run web worker beat migrate seed test test-clock test-shifted test-replica backup-check smoke lint check-deploy bench seed-large clean screenshots
.PHONY: db-roles db-handover

$(BIN)/activate: requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@# -qq: errors only; a machine-wide pip configuration may list package indexes this machine lacks.
	$(BIN)/pip install -qq --upgrade pip
	$(BIN)/pip install -qq -r requirements-dev.txt
	touch $(BIN)/activate

venv: $(BIN)/activate

createdb:
	@psql "$${DATABASE_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$${DATABASE_URL##*/}'" | grep -q 1 \
	  || psql "$${DATABASE_URL%/*}/postgres" -c "CREATE DATABASE \"$${DATABASE_URL##*/}\""

# The two roles exist on the server (re-run safely); the database and everything in it belong to the owner.
db-roles:
	psql "$(dir $(DATABASE_ADMIN_URL))postgres" -q -f scripts/db_roles.sql

db-handover: db-roles
	$(MAKE) --no-print-directory createdb DATABASE_URL=$(DATABASE_ADMIN_URL)
	psql "$(DATABASE_ADMIN_URL)" -q -f scripts/db_handover.sql

# The test runs create their database as the owner role and run the tests as the app role (tests/conftest.py).
test test-clock test-shifted test-replica: db-roles

migrate: venv db-handover
	DATABASE_URL=$(DATABASE_OWNER_URL) $(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# Web, worker and beat together; Ctrl-C stops all three. The worker reads every queue (celery, reminders, billing,
# records), so while a record PDF is made one of its two processes is busy with it; a deploy gives the records queue
# a worker of its own (docs/deployment.md).
# Links in emails and the card checkout's return address use the address served here (the demo seed's reminders
# too), unless CLINIC_SITE_URL says otherwise.
run: export CLINIC_SITE_URL ?= http://127.0.0.1:$(PORT)
run: seed
	@echo "Open http://127.0.0.1:$(PORT)/ (logins printed above)"
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	$(BIN)/celery -A clinic worker --loglevel=INFO --concurrency=2 & \
	$(BIN)/celery -A clinic beat --loglevel=INFO --schedule=$(CURDIR)/.celerybeat-schedule & \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	wait

# Ruff, the apps' layers (import-linter, pyproject.toml), then every installed package's licence against what the
# AGPL-3.0-or-later can include.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_licenses.py

check-deploy: venv
	DJANGO_SETTINGS_MODULE=clinic.settings.production CLINIC_NO_ONLINE_CARD_PAYMENTS=1 CLINIC_SMS_BACKEND=console DJANGO_SECRET_KEY=$$(openssl rand -hex 40) \
	  CLINIC_ENCRYPTION_KEYS=$$(openssl rand -base64 32 | tr '+/' '-_') STRIPE_WEBHOOK_SECRET=whsec_$$(openssl rand -hex 16) \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

test: export DJANGO_SETTINGS_MODULE = clinic.settings.test
test: lint check-deploy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -m "not clock_sweep and not replica" $(PYTEST_ARGS)

# The demo seed (twice) at every hour of the day on every weekday, both DST change days, New Year's Eve and a leap day;
# and run again days or weeks after a first run, across each DST change.
test-clock: export DJANGO_SETTINGS_MODULE = clinic.settings.test
test-clock: venv
	$(BIN)/pytest -m clock_sweep $(PYTEST_ARGS)

# The suite without the browser again, with the whole process tree's clock moved (libfaketime) to a Wednesday
# evening and to the eve of the next DST change (SHIFTED_TO picks some): a test that holds only at some hours fails.
FAKETIME_LIB ?= $(firstword $(wildcard /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1))
SHIFTED_TO ?= evening dst-eve
test-shifted: export DJANGO_SETTINGS_MODULE = clinic.settings.test
test-shifted: venv
	@test -n "$(FAKETIME_LIB)" || { echo "libfaketime is missing (Debian package: faketime)"; exit 1; }
	@for at in $(SHIFTED_TO); do \
	  offset=$$($(BIN)/python scripts/clock_offset.py $$at); \
	  echo "== the suite with the clock at $$at: now + $$offset s"; \
	  LD_PRELOAD=$(FAKETIME_LIB) FAKETIME="+$${offset}s" NO_FAKE_STAT=1 \
	    $(BIN)/pytest -m "not e2e and not clock_sweep and not replica" $(PYTEST_ARGS) || exit 1; \
	done

# Reports and exports read from a real streaming replica of the local cluster on port 5433, started for the run and
# removed after it (scripts/replica.sh; the primary must accept replication connections, see docs/deployment.md).
REPLICA_PORT ?= 5433
test-replica: export DJANGO_SETTINGS_MODULE = clinic.settings.test
test-replica: export CLINIC_REPLICA_DATABASE_URL = postgres://clinic_app@127.0.0.1:$(REPLICA_PORT)/clinic
test-replica: venv
	REPLICA_PORT=$(REPLICA_PORT) scripts/replica.sh start
	@status=0; $(BIN)/pytest -m replica $(PYTEST_ARGS) || status=$$?; \
	  REPLICA_PORT=$(REPLICA_PORT) scripts/replica.sh stop; exit $$status

# A backup that restores: pg_dump of a small clinic, restored into a new database, row counts compared.
backup-check: venv db-roles
	scripts/backup_restore_check.sh

# `make run` on an empty database at the real clock: serve, use the site once, stop.
smoke: venv
	$(BIN)/python scripts/smoke_run.py

# The benchmark's large clinic lives in its own database per scale (never the dev one): BENCH_SCALES="1 2" measures
# scale 1 (10,000 patients) in clinic_bench and scale 2 in clinic_bench_s2, and writes one report with both.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clinic_bench
BENCH_SCALE ?= 1
BENCH_SCALES ?= $(BENCH_SCALE)

seed-large: venv
	$(BIN)/python -m bench.run --seed-only --scales $(BENCH_SCALES) --database-url $(BENCH_DATABASE_URL)

# Seeds (or reuses) each scale's large clinic, serves it with gunicorn and production settings, writes bench/results/.
bench: venv
	$(BIN)/python -m bench.run --scales $(BENCH_SCALES) --database-url $(BENCH_DATABASE_URL) $(BENCH_ARGS)

# Screenshots of the portal and staff pages (docs/screenshots/), from the demo clinic in its own database.
screenshots: venv
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) staticfiles .test-media
