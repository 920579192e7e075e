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

.PHONY: run test lint format sandbox clean browser-tools screenshots bench

# Debian packages the browser gate needs; installed only when missing (CI runs as root).
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

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

## make run: the portal on :$(PORT) over the sandbox on :$(SANDBOX_PORT), or over NEXUDUS_BASE_URL.
run: $(RUN_STAMP)
	VENV=$(VENV) scripts/run.sh

node_modules/.installed: package.json package-lock.json
	command -v npm >/dev/null || { apt-get update -qq && $(APT_INSTALL) nodejs npm; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

## browser-tools: Chromium (Debian), a JRE for vnu, and axe-core + vnu from npm.
browser-tools: node_modules/.installed
	@command -v chromium >/dev/null || { apt-get update -qq && $(APT_INSTALL) chromium; }
	@command -v java >/dev/null || { apt-get update -qq && $(APT_INSTALL) default-jre-headless; }

## make test: lint, then the whole suite (unit, integration and browser tests).
test: lint browser-tools
	$(BIN)/python -m pytest

## make screenshots: every staff-preview state at 1280 px and 375 px, into screenshots/.
screenshots: $(DEV_STAMP) browser-tools
	$(BIN)/python scripts/screenshots.py

## make bench: speed figures side by side, with their spread over repeats (about 5 minutes).
## LATENCY_MS=… the sandbox's latency (default 50); QUICK=1 about 1 minute; ZIP=1 the zip export
## (issue 13); BENCH_ARGS="--workers 2 --threads 4 …" any option of scripts/bench.py --help.
LATENCY_MS ?= 50
bench: $(RUN_STAMP)
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
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
