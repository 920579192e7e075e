# The two commands of the contract: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | sha1sum | cut -c1-12)

export PORT ?= 8000
export SANDBOX_PORT ?= 8001

.PHONY: run test lint format sandbox clean browser-tools screenshots

# Debian packages the browser gate needs; installed only when missing (CI runs as root).
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check --quiet --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

## make run: the portal on :$(PORT) over the sandbox on :$(SANDBOX_PORT), or over NEXUDUS_BASE_URL.
run: $(STAMP)
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
test: $(STAMP) browser-tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

## make screenshots: every staff-preview state at 1280 px and 375 px, into screenshots/.
screenshots: $(STAMP) browser-tools
	$(BIN)/python scripts/screenshots.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make sandbox: the Nexudus stand-in alone.
sandbox: $(STAMP)
	$(BIN)/python -m sandbox --port $(SANDBOX_PORT)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
