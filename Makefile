# Every target sets itself up on a fresh machine: uv (bootstrapped if missing), the locked environment, dbt's manifest.
SHELL := /bin/bash
export OPSLAKE_HOME ?= $(CURDIR)/.opslake
export DAGSTER_HOME ?= $(OPSLAKE_HOME)/dagster
export DO_NOT_TRACK := 1
export UV_SYSTEM_CERTS ?= 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)

.PHONY: setup run test dev bench lint clean

setup: .venv/.synced target/manifest.json

$(UV):  # only when no uv is on PATH: a private bootstrap venv that holds uv
	python3 -m venv .tools && .tools/bin/pip install --quiet uv

.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked
	touch $@

target/manifest.json: .venv/.synced dbt_project.yml profiles.yml $(shell find transforms -type f 2>/dev/null)
	$(UV) run dbt parse --quiet

run: setup
	$(UV) run opslake run

test: setup
	$(UV) run pytest -q

dev: setup
	mkdir -p $(DAGSTER_HOME) && test -f $(DAGSTER_HOME)/dagster.yaml || printf 'telemetry:\n  enabled: false\n' > $(DAGSTER_HOME)/dagster.yaml
	$(UV) run dagster dev -m orchestration.definitions

bench: setup
	$(UV) run opslake bench ingest --events 1000000 --events 10000000
	$(UV) run opslake bench pii

lint: setup
	$(UV) run ruff check . && $(UV) run ruff format --check .

clean:
	rm -rf .opslake target logs
