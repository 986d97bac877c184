# Wayfinder: `make run` sets up and starts the app; `make test` sets up and runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint bench clean install install-dev services

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Re-install only when a requirements file changes.
$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

## run: migrate, seed demo data, start web + worker + beat on the embedded default (Ctrl-C stops all)
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/python scripts/devserver.py

## services: start PostgreSQL and Redis if they are installed and stopped
services:
	@bash scripts/ensure-services.sh

## test: install dev tools, start local services if needed, run the linters and the whole suite
test: install-dev services lint
	$(BIN)/pytest

## lint: ruff (rules and format), mypy (strict on the pure core), import-linter contracts
lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy intake workers
	$(BIN)/lint-imports

## bench: triage decisions per second, and submit-to-SMTP latency (needs PostgreSQL and Redis)
bench: install-dev services
	$(BIN)/python bench/bench_triage.py
	$(BIN)/python bench/bench_notify.py

clean:
	rm -rf $(VENV) instance .pytest_cache .hypothesis
