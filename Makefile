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
$(MO): babel.cfg intake/public/spanish.py scripts/build_translations.py $(wildcard templates/*.html templates/public/*.html templates/macros/*.html) | $(VENV)/.runtime
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

## bench: triage decisions per second, and submit-to-SMTP latency (needs PostgreSQL and Redis)
bench: install-dev services
	$(BIN)/python bench/bench_triage.py
	$(BIN)/python bench/bench_notify.py

## backup: pg_dump (custom format) of DATABASE_URL into BACKUP_DIR (default backups/), with a
##         manifest of row counts; keeps the newest BACKUP_KEEP (14). No key goes into it.
backup: install
	$(BIN)/python scripts/backup.py backup

## restore-test: restore the newest backup into a scratch database, check its row counts and an
##               intake against the manifest, drop the scratch database
restore-test: install
	$(BIN)/python scripts/backup.py restore-test

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
