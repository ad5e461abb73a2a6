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
STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
}


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


def materialize_all(
    settings: Settings, on_stage=lambda stage: None, checks: bool = True
) -> list[dg.ExecuteInProcessResult]:
    """Run bronze for the waiting files' partitions, then every downstream asset; return the runs.

    With no new files and no change to bronze or the dbt project since the last successful build, nothing
    runs: a repeated ``opslake run`` is quick and changes nothing. When a blocking bronze check fails (now, or
    in an earlier run and still on a fresh look), nothing downstream is built. ``checks=False`` runs the
    assets without their data-quality checks (to measure what the checks cost).
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
        results.append(_execute(job, instance, bronze, checks, partition_range_tags(*window), on_stage))
    elif checks and (gates := _failed_gates(job, instance, bronze)):
        on_stage("quality: re-checking bronze tables whose blocking checks failed before")
        results.append(_execute(job, instance, [], checks, {}, on_stage, gates))
    if results and not results[-1].success:
        blocked = blocking_failures(results[-1])
        on_stage(
            _blocked_message(settings, blocked)
            if blocked
            else "bronze: the run failed; nothing downstream was built"
        )
        return results
    built = settings.home / "dagster" / "last_build.json"
    fingerprint = inputs_fingerprint(settings)
    if settings.warehouse.exists() and built.exists() and built.read_text() == fingerprint:
        on_stage("nothing new: the warehouse is up to date")
        return results
    downstream = [k for k in job.asset_layer.asset_graph.materializable_asset_keys if k not in set(bronze)]
    on_stage(f"transforms: building {len(downstream)} downstream assets")
    result = _execute(job, instance, downstream, checks, {}, on_stage)
    results.append(result)
    if result.success:
        built.write_text(fingerprint)
    if checks:
        docs = _data_docs(settings, rebuild=False)  # the marts' checks rebuilt the index
        on_stage(f"quality: results in lake/governance/quality_results; Data Docs: {docs}")
    return results


def _data_docs(settings: Settings, rebuild: bool = True):
    from quality.expectations.validate import data_docs

    return data_docs(settings, rebuild)


def _execute(job, instance, assets, checks: bool, tags: dict, on_stage, only_checks_of=()):
    """One run of ``assets`` with their checks (or the checks of ``only_checks_of`` alone, or no checks)."""
    from orchestration.defs.quality.checks import SUITE

    graph = job.asset_layer.asset_graph
    selected = set(assets) | set(only_checks_of)
    check_keys = {
        k
        for k in graph.asset_check_keys
        if k.asset_key in selected and (checks or SUITE not in graph.get(k).metadata)
    }
    subset = job.get_subset(asset_selection=set(assets), asset_check_selection=check_keys)
    result = subset.execute_in_process(QUIET, instance=instance, tags=tags, raise_on_error=False)
    if checks:
        evaluations = [e for e in result.get_asset_check_evaluations() if SUITE in e.metadata]
        failed = [e for e in evaluations if not e.passed]
        on_stage(
            f"quality: {len(evaluations)} checks in {check_seconds(instance, result.run_id):.1f} s, "
            f"{sum(e.severity == dg.AssetCheckSeverity.ERROR for e in failed)} errors and "
            f"{sum(e.severity == dg.AssetCheckSeverity.WARN for e in failed)} warnings failed"
            + "".join(f"\n  {e.severity.value.lower()}: {_check_name(e)} - {e.description}" for e in failed)
        )
    return result


def _check_name(evaluation) -> str:
    return f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"


def blocking_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """The blocking checks that failed in a run (their assets' downstream assets must not be built)."""
    return [
        _check_name(e)
        for e in result.get_asset_check_evaluations()
        if e.blocking and not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]


def _failed_gates(job, instance: dg.DagsterInstance, assets: list[dg.AssetKey]) -> list[dg.AssetKey]:
    """Assets whose latest evaluation of a blocking check failed (in an earlier run)."""
    graph = job.asset_layer.asset_graph
    keys = [k for k in graph.asset_check_keys if k.asset_key in set(assets) and graph.get(k).blocking]
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    return sorted({k.asset_key for k, record in latest.items() if record.status.value == "FAILED"})


def _blocked_message(settings: Settings, blocked: list[str]) -> str:
    return (
        f"quality: blocking checks failed: {', '.join(blocked)}. Silver and the marts were not built from this "
        f"data. See the failures above, lake/governance/quality_results and the Data Docs ({_data_docs(settings)}); "
        "repair the bronze table (restore its Delta version from before the bad write, or delete the bad rows) "
        "and run `opslake run` again."
    )


def check_seconds(instance: dg.DagsterInstance, run_id: str) -> float:
    """Wall time of a run's data-quality check steps, from the run's step events."""
    from orchestration.defs.quality.checks import CHECK_PREFIX

    started: dict[str, float] = {}
    total = 0.0
    for entry in instance.all_logs(run_id, of_type=STEP_EVENTS):
        if not (entry.step_key or "").startswith(CHECK_PREFIX):
            continue
        if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START:
            started[entry.step_key] = entry.timestamp
        elif entry.step_key in started:
            total += entry.timestamp - started.pop(entry.step_key)
    return total
