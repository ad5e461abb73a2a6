"""The main job (``opslake run``): materialise every asset through Dagster on the instance under OPSLAKE_HOME."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import dagster as dg

from ingestion.contracts import DOMAINS
from ingestion.landing import event_date_range, pending_files, waiting_domains
from opslake import warehouse
from opslake.settings import Settings
from orchestration.definitions import build_definitions
from orchestration.defs.quality.checks import CHECK_PREFIX, SUITE
from orchestration.defs.transforms.assets import FULL_REFRESH, UNIT_TESTS_PASSED
from orchestration.inputs import inputs_fingerprint
from orchestration.lib import runs
from orchestration.lib.partitions import partition_range_tags, run_window
from privacy.retention import Expired, apply_retention


def bronze_window(settings: Settings, domains: list[str], today: dt.date) -> tuple[str, str] | None:
    """The daily partitions the waiting landing files of ``domains`` touch (None if nothing waits)."""
    spans = [event_date_range(d, files) for d in domains if (files := pending_files(settings, d))]
    return run_window(spans, today) if spans else None


def materialize_all(
    settings: Settings, on_stage=lambda stage: None, checks: bool = True, today: dt.date | None = None
) -> list[dg.ExecuteInProcessResult]:
    """Run bronze for the waiting files' domains and partitions, apply retention, then build the downstream assets
    the change can touch (``_to_rebuild``); return the Dagster runs.

    Retention comes after ingestion, so that late files holding expired events leave nothing behind, and before
    silver and the marts, so that they are built from what the lake may keep (a removal changes bronze, so the
    build is not skipped). With no new files and no change to bronze, the dbt project or the masking since the
    last successful build, nothing is built: a repeated ``opslake run`` is quick and changes nothing. When a
    blocking bronze check fails (now, or in an earlier run and still on a fresh look), nothing downstream is
    built. ``checks=False`` runs the assets without their data-quality checks (to measure what the checks cost);
    ``today`` (default: the UTC date now) dates the run for retention and partitions, so that data of fixed dates
    (the tests') does not age out as the calendar moves. The caller holds the lake's writer lock for the whole of
    it (``lake.lake_writer``); each Dagster run takes it again in this process.
    """
    instance = runs.instance_at(settings.dagster_home)
    job = runs.asset_job(build_definitions(settings))
    bronze = [dg.AssetKey(["bronze", d]) for d in DOMAINS]
    results = []
    today = today or dt.datetime.now(dt.UTC).date()
    waiting = waiting_domains(settings)
    window = bronze_window(settings, waiting, today)
    if window:
        on_stage(f"bronze: ingesting landing files (event dates {window[0]} .. {window[1]})")
        tags = partition_range_tags(*window)
        written = [
            dg.AssetKey(["bronze", d]) for d in waiting
        ]  # the other tables and their checks stay as they are
        results.append(_execute(job, instance, written, checks, tags, on_stage))
    elif checks and (gates := runs.failed_blocking_checks(job, instance, bronze)):
        on_stage("quality: re-checking bronze tables whose blocking checks failed before")
        results.append(_execute(job, instance, [], checks, {}, on_stage, gates))
    on_stage(_retention_message(apply_retention(settings, today)))
    if results and not results[-1].success:
        blocked = blocking_failures(results[-1])
        on_stage(
            _blocked_message(settings, blocked)
            if blocked
            else "bronze: the run failed; nothing downstream was built"
        )
        return results
    fingerprint, last = inputs_fingerprint(settings), warehouse.last_build(settings)
    if last == fingerprint:
        on_stage("nothing new: the warehouse is up to date")
        return results
    downstream = _to_rebuild(job, bronze, last, fingerprint)
    remasked = last is not None and json.loads(last).get("masking") != json.loads(fingerprint)["masking"]
    on_stage(
        f"transforms: building {len(downstream)} downstream assets"
        + (" (masking changed)" if remasked else "")
    )
    tags = {FULL_REFRESH: "true"} if remasked else {}
    if last is not None and json.loads(last)["dbt_project"] == json.loads(fingerprint)["dbt_project"]:
        # The first successful build of this very project ran its unit tests; they test SQL, not data.
        tags[UNIT_TESTS_PASSED] = "true"
    result = _execute(job, instance, downstream, checks, tags, on_stage)
    results.append(result)
    if result.success:
        warehouse.record_build(settings, fingerprint)
    if checks:
        docs = _data_docs(settings, rebuild=False)  # the marts' checks rebuilt the index
        on_stage(f"quality: results in lake/governance/quality_results; Data Docs: {docs}")
    return results


def _to_rebuild(job, bronze: list[dg.AssetKey], last: str | None, fingerprint: str) -> set[dg.AssetKey]:
    """The assets below bronze that the change since the last build can touch.

    After a change of code (the dbt project, the masking) or with no build yet: all of them. Otherwise an asset is
    left as built when every root it descends from is unchanged: a bronze table at the version of the last build,
    or a dbt seed (part of the project's fingerprint). Assets below other roots (the erasure log) are always
    rebuilt. So a batch of incidents rebuilds what incidents feed, not the cost or usage marts.
    """
    everything = runs.materializable_keys(job) - set(bronze)
    if last is None:
        return everything
    before, now = json.loads(last), json.loads(fingerprint)
    if {k: v for k, v in before.items() if k != "bronze"} != {k: v for k, v in now.items() if k != "bronze"}:
        return everything
    unchanged = {key for key in bronze if before["bronze"].get(key.path[-1]) == now["bronze"][key.path[-1]]}
    stable = unchanged | runs.dbt_seed_keys(job)
    roots = runs.roots_of(job)
    return {key for key in everything if not roots(key) <= stable}


def _retention_message(expired: list[Expired]) -> str:
    removed = [e for e in expired if e.rows]
    if not removed:
        return "retention: nothing is past its retention period (privacy/retention.yml)"
    return "retention: removed " + ", ".join(
        f"{_count(e.rows, 'row')} ({_count(e.partitions, 'partition')}) from {e.table}" for e in removed
    )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _data_docs(settings: Settings, rebuild: bool = True):
    from quality.validate import data_docs

    return data_docs(settings, rebuild)


def _execute(job, instance, assets, checks: bool, tags: dict, on_stage, only_checks_of=()):
    """One run of ``assets`` with their checks (or the checks of ``only_checks_of`` alone, or no checks)."""
    check_keys = runs.check_keys(
        job, set(assets) | set(only_checks_of), lambda spec: checks or SUITE not in spec.metadata
    )
    result = runs.execute(job, instance, assets, check_keys, tags)
    if checks:
        evaluations = [e for e in result.get_asset_check_evaluations() if SUITE in e.metadata]
        failed = [e for e in evaluations if not e.passed]
        seconds = runs.step_seconds(instance, result.run_id, CHECK_PREFIX)
        on_stage(
            f"quality: {len(evaluations)} checks in {seconds:.1f} s, "
            f"{sum(e.severity == dg.AssetCheckSeverity.ERROR for e in failed)} errors and "
            f"{sum(e.severity == dg.AssetCheckSeverity.WARN for e in failed)} warnings failed"
            + "".join(f"\n  {e.severity.value.lower()}: {_check_name(e)} - {e.description}" for e in failed)
        )
    return result


def _check_name(evaluation) -> str:
    return f"{evaluation.asset_key.to_user_string()} {evaluation.check_name}"


def step_errors(results: list[dg.ExecuteInProcessResult]) -> list[tuple[str, Any]]:
    """The failed steps of the failed runs, each with its error (Dagster's: ``message``, ``cls_name``)."""
    return [
        (event.step_key, event.event_specific_data.error)
        for result in results
        if not result.success
        for event in result.all_events
        if event.is_step_failure and event.event_specific_data.error
    ]


def blocking_failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """The blocking checks that failed in a run (their assets' downstream assets must not be built)."""
    return [
        _check_name(e)
        for e in result.get_asset_check_evaluations()
        if e.blocking and not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]


def _blocked_message(settings: Settings, blocked: list[str]) -> str:
    return (
        f"quality: blocking checks failed: {', '.join(blocked)}. Silver and the marts were not built from this "
        f"data. See the failures above, lake/governance/quality_results and the Data Docs ({_data_docs(settings)}); "
        "repair the bronze table (restore its Delta version from before the bad write, or delete the bad rows) "
        "and run `opslake run` again."
    )
