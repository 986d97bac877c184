# Wayfinder: `make run` sets up and starts the app; `make test` sets up and runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint bench clean install install-dev services chromium translations backup restore-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when a requirements file changes.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# The Spanish catalog of the public pages, compiled from the templates and intake/public/spanish.py.
MO := intake/translations/es/LC_MESSAGES/messages.mo
$(MO): babel.cfg intake/public/spanish.py scripts/build_translations.py $(wildcard templates/*.html templates/public/*.html templates/macros/*.html templates/email/patient_* templates/email/resume_link*) | $(VENV)/.runtime
	$(BIN)/python scripts/build_translations.py
translations: $(MO)

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime $(MO)
install-dev: $(VENV)/.dev $(MO)

## run: migrate, seed demo data, start web + worker + beat on the embedded default (Ctrl-C stops all)
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/python scripts/devserver.py

## services: start PostgreSQL and Redis if they are installed and stopped
services:
	@bash scripts/ensure-services.sh

## test: install dev tools, start local services if needed, run the linters and the whole suite
##       (the browser tests drive Debian's Chromium: installed with apt-get when it is missing)
test: install-dev services chromium lint
	$(BIN)/pytest

## chromium: Debian's Chromium for the browser tests (Playwright never downloads a browser)
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium)

## lint: ruff (rules and format), mypy (strict on the pure core), import-linter contracts
##       (layers, no circles), and no import circle at all inside intake
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy intake workers
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_import_cycles.py

## bench: every benchmark against the production shape on this machine (PostgreSQL, Redis,
##        gunicorn, a Celery worker, aiosmtpd), then bench/report.py writes the results
##        section of docs/performance.md and docs/capacity.svg. A benchmark that fails or misses
##        its target does not stop the others; the report shows it, and make fails at the end if
##        a result is missing. BENCH_NOTE adds a line above the table.
BENCH_OUT  ?= instance/bench
BENCH_NOTE ?=
bench: install-dev services
	rm -rf $(BENCH_OUT) && mkdir -p $(BENCH_OUT)
	-$(BIN)/python bench/bench_triage.py --json $(BENCH_OUT)/triage.json
	-$(BIN)/python bench/bench_capacity.py --json $(BENCH_OUT)/capacity.json
	-$(BIN)/python bench/bench_worker.py --json $(BENCH_OUT)/worker.json
	-$(BIN)/python bench/bench_throughput.py --json $(BENCH_OUT)/throughput.json
	-$(BIN)/python bench/bench_dashboard.py 2>&1 | tee $(BENCH_OUT)/dashboard.txt
	$(BIN)/python bench/report.py $(BENCH_OUT) --command "make bench" --note "$(BENCH_NOTE)" \
		--expect triage capacity worker throughput dashboard

## backup: pg_dump (custom format) of DATABASE_URL into BACKUP_DIR (default backups/), with a
##         manifest of row counts; keeps the newest BACKUP_KEEP (14). No key goes into it.
backup: install
	$(BIN)/python scripts/backup.py backup

## restore-test: restore the newest backup into a scratch database, check its row counts and an
##               intake against the manifest, decrypt that intake (ENCRYPTION_KEYS), drop the
##               scratch database
restore-test: install
	$(BIN)/python scripts/backup.py restore-test

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
