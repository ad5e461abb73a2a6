# Every target sets itself up on a fresh machine: the Debian packages (as root), uv (bootstrapped if missing) and
# the locked environment.
# Where opslake writes (OPSLAKE_HOME, default ./.opslake) is decided by opslake itself (opslake/settings.py).
SHELL := /bin/bash
export DO_NOT_TRACK := 1
export UV_SYSTEM_CERTS ?= 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)

.PHONY: setup system run test dev dashboard bench lint clean

setup: system .venv/.synced

system:  # the Debian packages of setup/system-packages (fonts and Pango for PDFs, Chromium for the browser test)
	@bash setup/install-system-packages

$(UV):  # only when no uv is on PATH: a private bootstrap venv that holds uv
	python3 -m venv .tools && .tools/bin/pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked
	touch $@

run: setup
	$(UV) run opslake run

test: setup
	$(UV) run lint-imports
	$(UV) run pytest -q --numprocesses auto --maxprocesses 4 --dist loadgroup --durations 15

dev: setup
	$(UV) run opslake dev

dashboard: setup
	$(UV) run opslake dashboard

bench: setup
	$(UV) run opslake bench ingest --events 1000000 --events 10000000
	$(UV) run opslake bench pii

lint: setup
	$(UV) run ruff check . && $(UV) run ruff format --check . && $(UV) run lint-imports

clean:
	rm -rf .opslake
