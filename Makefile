# The two commands of the contract: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per requirement set, keyed on the pinned files: `make run` needs production and the
# sandbox only; `make test` needs the tools too.
RUN_STAMP := $(VENV)/.installed-run-$(shell cat requirements.txt requirements-sandbox.txt | sha1sum | cut -c1-12)
DEV_STAMP := $(VENV)/.installed-dev-$(shell cat requirements.txt requirements-sandbox.txt requirements-dev.txt | sha1sum | cut -c1-12)
PIP := $(BIN)/python -m pip install --disable-pip-version-check --quiet

export PORT ?= 8000
export SANDBOX_PORT ?= 8001

.PHONY: run test lint format sandbox clean browser-tools services screenshots bench loadtest \
	messages makemessages

# Debian packages the suite needs, installed only when missing (CI runs as root). The script
# waits for apt's locks rather than failing when another apt-get or dpkg is running.
APT_INSTALL := scripts/apt-install.sh

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

$(RUN_STAMP): requirements.txt requirements-sandbox.txt | $(VENV)/bin/python
	$(PIP) -r requirements-sandbox.txt
	rm -f $(VENV)/.installed-run-*
	touch $@

$(DEV_STAMP): requirements.txt requirements-sandbox.txt requirements-dev.txt | $(VENV)/bin/python
	$(PIP) -r requirements-dev.txt
	rm -f $(VENV)/.installed-dev-* $(VENV)/.installed-run-*
	touch $@ $(RUN_STAMP)

# The catalogues: locale/<lang>/LC_MESSAGES/django.po are the source (in git); the compiled .mo
# files are built from them at install by Django's compilemessages with Debian's gettext, and
# rebuilt whenever a .po changes (git ignores them).
LANGS := fr de it pt es
PO_FILES := $(foreach lang,$(LANGS),locale/$(lang)/LC_MESSAGES/django.po)
MO_FILES := $(PO_FILES:.po=.mo)
# Where no message of ours lives: Django would otherwise walk into them.
I18N_IGNORE := --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=sandbox \
	--ignore=tests --ignore=scripts --ignore=screenshots --ignore=test-artifacts

## make messages: compile the catalogues (.po -> .mo).
messages: $(MO_FILES)

$(MO_FILES) &: $(PO_FILES) | $(RUN_STAMP)
	@command -v msgfmt >/dev/null || $(APT_INSTALL) gettext
	env -u DJANGO_SETTINGS_MODULE $(BIN)/django-admin compilemessages $(I18N_IGNORE) --verbosity 0

## make makemessages: bring every catalogue up to date with the source (new strings come in
## untranslated, gone ones go); then translate what `make test` reports, in each .po file.
makemessages: $(RUN_STAMP)
	@command -v msgmerge >/dev/null || $(APT_INSTALL) gettext
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages $(addprefix --locale=,$(LANGS)) \
		--add-location=file --no-obsolete $(I18N_IGNORE)

## make run: the portal on :$(PORT) over the sandbox on :$(SANDBOX_PORT), or over NEXUDUS_BASE_URL.
run: $(RUN_STAMP) messages
	VENV=$(VENV) scripts/run.sh

node_modules/.installed: package.json package-lock.json
	command -v npm >/dev/null || $(APT_INSTALL) nodejs npm
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

## browser-tools: Chromium (Debian), a JRE for vnu, and axe-core + vnu from npm.
browser-tools: node_modules/.installed
	@$(APT_INSTALL) $$(command -v chromium >/dev/null || echo chromium) \
	  $$(command -v java >/dev/null || echo default-jre-headless)

## services: Debian's Redis and PostgreSQL. Nothing runs them as system services for us: the
## tests (and make loadtest) start their own, on free ports, with data in temporary folders.
services:
	@$(APT_INSTALL) $$(command -v redis-server >/dev/null || echo redis-server) \
	  $$(ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || echo postgresql)

## make test: lint, then the whole suite (unit, integration, two workers on Redis and
## PostgreSQL, and browser tests).
test: lint browser-tools services messages
	$(BIN)/python -m pytest

## make loadtest: production's shape (gunicorn, 2 workers, Redis, PostgreSQL) over a slow, flaky
## sandbox: USERS members for DURATION seconds, then SOAK more seconds watching memory.
USERS ?= 200
DURATION ?= 60
SOAK ?= 120
loadtest: $(DEV_STAMP) services messages
	$(BIN)/python -m scripts.loadtest --users $(USERS) --duration $(DURATION) --soak $(SOAK) \
		$(if $(filter 1,$(WEBHOOKS)),--webhooks)

## make screenshots: every staff-preview state at 1280 px and 375 px, into screenshots/.
screenshots: $(DEV_STAMP) browser-tools messages
	$(BIN)/python scripts/screenshots.py

## make bench: speed figures side by side, with their spread over repeats (about 5 minutes).
## LATENCY_MS=… the sandbox's latency (default 50); QUICK=1 about 1 minute; ZIP=1 the zip export
## (issue 13); BENCH_ARGS="--workers 2 --threads 4 …" any option of scripts/bench.py --help.
LATENCY_MS ?= 50
bench: $(RUN_STAMP) messages
	$(BIN)/python scripts/bench.py $(if $(filter 1,$(ZIP)),zip,pages) --latency-ms $(LATENCY_MS) \
		$(if $(filter 1,$(QUICK)),--quick) $(BENCH_ARGS)

## make lint: ruff, and the import rules of pyproject.toml (import-linter).
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make sandbox: the Nexudus stand-in alone.
sandbox: $(RUN_STAMP)
	$(BIN)/python -m sandbox --port $(SANDBOX_PORT)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache $(MO_FILES)
