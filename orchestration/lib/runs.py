"""The one place opslake drives Dagster below its documented surface: running a subset of the asset job with a
chosen set of checks, and reading the latest status of checks and the timing of steps from the instance.

``opslake run`` needs both (a bronze run for some partitions, then everything downstream, each with or without
its data-quality checks). ``tests/orchestration/test_runs.py`` exercises every function, so a Dagster upgrade
that changes these APIs fails there first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import dagster as dg

DAGSTER_YAML = "telemetry:\n  enabled: false\n"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
STEP_EVENTS = {
    dg.DagsterEventType.STEP_START,
    dg.DagsterEventType.STEP_SUCCESS,
    dg.DagsterEventType.STEP_FAILURE,
}


def instance_at(folder: Path) -> dg.DagsterInstance:
    """The persistent Dagster instance in ``folder`` (created with telemetry off)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    return dg.DagsterInstance.from_config(str(folder))


def asset_job(defs: dg.Definitions) -> dg.JobDefinition:
    return defs.resolve_implicit_global_asset_job_def()


def materializable_keys(job: dg.JobDefinition) -> set[dg.AssetKey]:
    return set(job.asset_layer.asset_graph.materializable_asset_keys)


def roots_of(job: dg.JobDefinition) -> Callable[[dg.AssetKey], frozenset[dg.AssetKey]]:
    """For an asset of the job, the assets without parents it descends from (itself, if it has none)."""
    graph, memo = job.asset_layer.asset_graph, {}

    def roots(key: dg.AssetKey) -> frozenset[dg.AssetKey]:
        if key not in memo:
            parents = graph.get(key).parent_keys
            memo[key] = frozenset().union(*map(roots, parents)) if parents else frozenset({key})
        return memo[key]

    return roots


def dbt_seed_keys(job: dg.JobDefinition) -> set[dg.AssetKey]:
    """The job's assets that are dbt seeds."""
    graph = job.asset_layer.asset_graph
    return {
        key
        for key in graph.materializable_asset_keys
        if str(graph.get(key).metadata.get("dagster_dbt/unique_id", "")).startswith("seed.")
    }


def check_keys(
    job: dg.JobDefinition, of_assets: Iterable[dg.AssetKey], keep: Callable[[dg.AssetCheckSpec], bool]
) -> set[dg.AssetCheckKey]:
    """The checks of the given assets whose spec ``keep`` accepts."""
    graph, assets = job.asset_layer.asset_graph, set(of_assets)
    return {k for k in graph.asset_check_keys if k.asset_key in assets and keep(graph.get(k))}


def execute(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    assets: Iterable[dg.AssetKey],
    checks: Iterable[dg.AssetCheckKey],
    tags: dict[str, str],
) -> dg.ExecuteInProcessResult:
    """One in-process run of exactly these assets and checks (console logs at warnings only)."""
    subset = job.get_subset(asset_selection=set(assets), asset_check_selection=set(checks))
    return subset.execute_in_process(QUIET, instance=instance, tags=tags, raise_on_error=False)


def failed_blocking_checks(
    job: dg.JobDefinition, instance: dg.DagsterInstance, assets: Iterable[dg.AssetKey]
) -> list[dg.AssetKey]:
    """Assets whose latest evaluation of a blocking check failed (in any earlier run)."""
    keys = check_keys(job, assets, lambda spec: spec.blocking)
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(list(keys))
    return sorted({k.asset_key for k, record in latest.items() if record.status.value == "FAILED"})


def step_seconds(instance: dg.DagsterInstance, run_id: str, prefix: str) -> float:
    """Wall time of a run's steps whose key starts with ``prefix``, from the run's step events."""
    started: dict[str, float] = {}
    total = 0.0
    for entry in instance.all_logs(run_id, of_type=STEP_EVENTS):
        if not (entry.step_key or "").startswith(prefix):
            continue
        if entry.dagster_event.event_type == dg.DagsterEventType.STEP_START:
            started[entry.step_key] = entry.timestamp
        elif entry.step_key in started:
            total += entry.timestamp - started.pop(entry.step_key)
    return total
