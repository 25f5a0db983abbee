# Clinic: one command to run, one to test. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export DJANGO_SETTINGS_MODULE ?= clinic.settings.local
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clinic
export REDIS_URL ?= redis://127.0.0.1:6379/0
PORT ?= 8000

.PHONY: venv run web worker beat migrate seed test lint check-deploy bench seed-large clean screenshots

$(BIN)/activate: requirements.txt requirements-dev.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

venv: $(BIN)/activate

createdb:
	@psql "$${DATABASE_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$${DATABASE_URL##*/}'" | grep -q 1 \
	  || psql "$${DATABASE_URL%/*}/postgres" -c "CREATE DATABASE \"$${DATABASE_URL##*/}\""

migrate: venv createdb
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# Web, worker and beat together; Ctrl-C stops all three.
run: seed
	@echo "Open http://127.0.0.1:$(PORT)/ (logins printed above)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/celery -A clinic worker --loglevel=INFO --concurrency=2 & \
	$(BIN)/celery -A clinic beat --loglevel=INFO --schedule=/tmp/clinic-celerybeat-schedule & \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	wait

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

check-deploy: venv
	DJANGO_SETTINGS_MODULE=clinic.settings.production CLINIC_NO_ONLINE_CARD_PAYMENTS=1 DJANGO_SECRET_KEY=$$(openssl rand -hex 40) \
	  CLINIC_ENCRYPTION_KEYS=$$(openssl rand -base64 32 | tr '+/' '-_') STRIPE_WEBHOOK_SECRET=whsec_$$(openssl rand -hex 16) \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

test: export DJANGO_SETTINGS_MODULE = clinic.settings.test
test: lint check-deploy
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest $(PYTEST_ARGS)

# The benchmark's large clinic lives in its own database (never the dev one): BENCH_SCALE=1 is 10,000 patients.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/clinic_bench
BENCH_SCALE ?= 1

seed-large: venv
	$(MAKE) --no-print-directory createdb DATABASE_URL=$(BENCH_DATABASE_URL)
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py migrate --noinput
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py seed_large --scale $(BENCH_SCALE)

# Seeds (or reuses) the large clinic, serves it with gunicorn and production settings, writes bench/results/.
bench: venv
	$(MAKE) --no-print-directory createdb DATABASE_URL=$(BENCH_DATABASE_URL)
	$(BIN)/python -m bench.run --scale $(BENCH_SCALE) --database-url $(BENCH_DATABASE_URL) $(BENCH_ARGS)

# Screenshots of the portal and staff pages (docs/screenshots/), from the demo clinic in its own database.
screenshots: venv
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) staticfiles .test-media
