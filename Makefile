# `make run` serves Hearth; `make test` runs the whole suite. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
export PORT HOST
# A local instance is a development one (generated secret, cookies without Secure)
# unless the environment says otherwise.
export HEARTH_ENV ?= development

# Dependencies come from the lock files, exact versions checked by hash, so that two installs a month
# apart get the same code; `make lock` rewrites them from pyproject.toml (LOCK_ARGS=--upgrade: newest releases).
LOCK_VENV := .venv-lock
LOCK_FLAGS := --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

.PHONY: run seed-demo test lint install install-test lock node-check

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: requirements-test.lock $(VENV)/.installed node_modules/.package-lock.json | node-check
	$(BIN)/pip install --quiet --require-hashes -r requirements-test.lock
	touch $@

# axe-core, the accessibility engine the browser tests inject into every page
node_modules/.package-lock.json: package.json package-lock.json | node-check
	npm ci --no-audit --no-fund --quiet

lock:
	test -x $(LOCK_VENV)/bin/pip-compile || ($(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/pip install --quiet pip-tools)
	$(LOCK_VENV)/bin/pip-compile $(LOCK_FLAGS) --output-file requirements.lock pyproject.toml
	$(LOCK_VENV)/bin/pip-compile $(LOCK_FLAGS) --extra test --constraint requirements.lock \
		--output-file requirements-test.lock pyproject.toml

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(BIN)/flask --app app db upgrade
	exec $(BIN)/gunicorn --config gunicorn.conf.py app:app

# Something to try Hearth with, in the database `make run` serves (migrated first, so it works on a fresh clone).
seed-demo: install
	$(BIN)/flask --app app db upgrade
	$(BIN)/flask --app app seed-demo

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Node runs the client's unit tests (and npm installs axe-core); CI installs it, elsewhere say how.
node-check:
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		echo "make test needs Node.js and npm: apt-get install -y nodejs npm (or https://nodejs.org)" >&2; exit 1; }

# The suite's modules are spread over every core (a module's tests share its servers, so they stay together).
PYTEST_WORKERS ?= auto
test: node-check lint
	node --test tests/js/*.test.mjs
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)
