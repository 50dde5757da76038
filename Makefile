# Race Equality Peer Forum. `make run` for the local demo, `make test` for the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
VENDOR := static/vendor
HOST ?= 127.0.0.1
PORT ?= 8000
SERVICES_DB ?= postgres://postgres@127.0.0.1:5432/forum
SERVICES_REDIS ?= redis://127.0.0.1:6379/0
# test-deploy recreates this database and flushes this Redis database, and restarts both servers.
DEPLOY_DB ?= postgres://postgres@127.0.0.1:5432/forum_deploy
DEPLOY_REDIS ?= redis://127.0.0.1:6379/3
# The browser journeys with a facilitator and members in separate contexts (tests/browser).
LIVE_JOURNEYS := $(addprefix tests/browser/,test_live_journey.py test_live_console_journey.py \
	test_live_summary_journey.py test_breakout_journey.py)

.PHONY: setup run test test-services test-browser test-deploy lint format bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[dev]"
	touch $@

$(VENDOR)/.installed: package.json community/assets.py
	npm install --no-audit --no-fund --silent
	$(PYTHON) -m community.assets
	touch $@

setup: $(VENV)/.installed $(VENDOR)/.installed
	DEBUG=1 $(PY) manage.py collectstatic --noinput --verbosity 0

run: setup
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput
	@if [ ! -f .demo-seeded ]; then DEBUG=$${DEBUG:-1} $(PY) manage.py seed_demo && touch .demo-seeded; fi
	DEBUG=$${DEBUG:-1} SITE_URL=$${SITE_URL:-http://$(HOST):$(PORT)} \
		$(VENV)/bin/daphne -b $(HOST) -p $(PORT) community.asgi:application

test: setup
	$(PY) -m pytest -q

# Then the live journeys in services mode: a fresh PostgreSQL database of their own (named after
# SERVICES_DB's), Redis, and two daphne processes, the facilitator on one and members on the other.
test-services: setup
	DATABASE_URL=$(SERVICES_DB) REDIS_URL=$(SERVICES_REDIS) $(PY) -m pytest -q
	FORUM_BROWSER_TESTS=1 FORUM_BROWSER_SERVICES=1 DATABASE_URL=$(SERVICES_DB) REDIS_URL=$(SERVICES_REDIS) \
		$(PY) -m pytest -q -m browser $(LIVE_JOURNEYS)

test-browser: setup
	FORUM_BROWSER_TESTS=1 $(PY) -m pytest -q -m browser tests/browser

# nginx from deploy/ (TLS) in front of two daphne processes; restarts PostgreSQL and Redis.
test-deploy: setup
	FORUM_DEPLOY_TESTS=1 FORUM_DEPLOY_DATABASE_URL=$(DEPLOY_DB) FORUM_DEPLOY_REDIS_URL=$(DEPLOY_REDIS) \
		$(PY) -m pytest -q -s -m deploy tests/deploy

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) staticfiles db.sqlite3* .demo-seeded
