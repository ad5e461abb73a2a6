"""The main job: materialise every asset through Dagster on the persistent instance under OPSLAKE_HOME."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import dagster as dg

from ingestion import lake
from ingestion.contracts import DOMAINS
from ingestion.landing import event_date_range, pending_files
from opslake.settings import Settings
from orchestration.lib.dbt import DBT_PROJECT
from orchestration.lib.partitions import partition_range_tags, run_window

DAGSTER_YAML = "telemetry:\n  enabled: false\n"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def dagster_home(settings: Settings) -> Path:
    """The Dagster instance folder (runs, event log, schedules), created with telemetry off."""
    home = settings.home / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return home


def bronze_window(settings: Settings, today: dt.date) -> tuple[str, str] | None:
    """The daily partitions the waiting landing files touch, across all domains (None if nothing waits)."""
    spans = [event_date_range(d, files) for d in DOMAINS if (files := pending_files(settings, d))]
    return run_window(spans, today) if spans else None


def inputs_fingerprint(settings: Settings) -> str:
    """What the downstream assets are built from: bronze table versions and the dbt project's files."""
    versions = {}
    for domain in DOMAINS:
        table = lake.open_table(settings.table_uri("bronze", domain))
        versions[domain] = None if table is None else table.version()
    code = hashlib.sha256()
    project = DBT_PROJECT.project_dir
    for path in sorted([*project.glob("*.yml"), *(project / "transforms").rglob("*")]):
        if path.is_file():
            code.update(f"{path.relative_to(project)}\n".encode() + path.read_bytes())
    return json.dumps({"bronze": versions, "dbt_project": code.hexdigest()}, sort_keys=True)


def materialize_all(settings: Settings, on_stage=lambda stage: None) -> list[dg.ExecuteInProcessResult]:
    """Run bronze for the waiting files' partitions, then every downstream asset; return the runs.

    With no new files and no change to bronze or the dbt project since the last successful build, nothing
    runs: a repeated ``opslake run`` is quick and changes nothing.
    """
    os.environ.update(settings.env())
    instance = dg.DagsterInstance.from_config(str(dagster_home(settings)))
    from orchestration.definitions import defs  # imported late: it needs the dbt manifest and the env

    job = defs.resolve_implicit_global_asset_job_def()
    bronze = [dg.AssetKey(["bronze", d]) for d in DOMAINS]
    results = []
    window = bronze_window(settings, dt.datetime.now(dt.UTC).date())
    if window:
        on_stage(f"bronze: ingesting landing files (event dates {window[0]} .. {window[1]})")
        tags = partition_range_tags(*window)
        results.append(job.execute_in_process(QUIET, instance=instance, asset_selection=bronze, tags=tags))
    built = settings.home / "dagster" / "last_build.json"
    fingerprint = inputs_fingerprint(settings)
    if settings.warehouse.exists() and built.exists() and built.read_text() == fingerprint:
        on_stage("nothing new: the warehouse is up to date")
        return results
    downstream = [k for k in job.asset_layer.asset_graph.materializable_asset_keys if k not in set(bronze)]
    on_stage(f"transforms: building {len(downstream)} downstream assets")
    result = job.execute_in_process(QUIET, instance=instance, asset_selection=downstream)
    results.append(result)
    if result.success:
        built.write_text(fingerprint)
    return results
