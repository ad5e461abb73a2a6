"""Quality checks in Dagster: every table guarded, blocking bronze failures stop promotion to silver and marts."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest
from deltalake import DeltaTable

from ingestion.contracts import DOMAINS
from opslake.dbt_project import load_manifest, manifest_path, mart_names
from orchestration.definitions import build_definitions
from orchestration.lib.partitions import partition_range_tags
from tests.fixtures.lake_tables import DAY, usage, write_lake_table
from tests.fixtures.records import write_jsonl


@pytest.fixture
def defs(settings) -> dg.Definitions:
    """The definitions for the test's home (the resources carry its settings)."""
    return build_definitions(settings)


def test_every_bronze_silver_table_and_mart_has_checks_and_only_bronze_errors_block(settings, defs):
    graph = defs.resolve_asset_graph()
    from orchestration.defs.quality.checks import SUITE

    ours = [k for k in graph.asset_check_keys if SUITE in graph.get(k).metadata]
    guarded = {k.asset_key.to_user_string() for k in ours}
    expected = {f"{layer}/{d}" for layer in ("bronze", "silver") for d in DOMAINS}
    assert guarded == expected | {f"marts/{m}" for m in mart_names(load_manifest(manifest_path(settings)))}
    blocking = {(k.asset_key.path[0], k.name) for k in ours if graph.get(k).blocking}
    assert blocking == {("bronze", c) for c in ("schema", "nullability", "uniqueness")}
    names = {k.name for k in ours if k.asset_key == dg.AssetKey(["silver", "delivery"])}
    assert {
        "schema",
        "nullability",
        "accepted_values",
        "range",
        "uniqueness",
        "referential",
        "volume",
    } == names


def _duplicated_usage(settings) -> None:
    """bronze/usage with one event twice on the same day: a write that bypassed ingestion."""
    day = dt.date(2026, 11, 2)
    write_lake_table(settings, "bronze", "usage", [usage(1, day), usage(1, day)])


def test_a_failed_blocking_bronze_check_keeps_silver_from_materialising(settings, defs):
    _duplicated_usage(settings)
    job = defs.resolve_implicit_global_asset_job_def()
    keys = {dg.AssetKey(["bronze", "usage"]), dg.AssetKey(["silver", "usage"])}
    checks = {k for k in job.asset_layer.asset_graph.asset_check_keys if k.asset_key in keys}
    result = job.get_subset(asset_selection=keys, asset_check_selection=checks).execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        tags=partition_range_tags("2026-11-01", "2026-11-03"),
        raise_on_error=False,
    )
    failed = {
        (e.asset_key.to_user_string(), e.check_name)
        for e in result.get_asset_check_evaluations()
        if not e.passed
    }
    assert ("bronze/usage", "uniqueness") in failed
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey(["silver", "usage"]) not in materialized
    assert DeltaTable.is_deltatable(settings.table_uri("silver", "usage")) is False


def test_opslake_run_stops_before_silver_and_stays_stopped_while_bronze_is_bad(settings):
    from orchestration.materialize import materialize_all

    _duplicated_usage(settings)
    new_event = {**usage(5, dt.date(2026, 11, 2)), "occurred_at": "2026-11-02T09:00:00Z"}
    write_jsonl(settings.landing_dir("usage") / "u.jsonl", [new_event])  # a file to ingest: bronze runs
    stages: list[str] = []
    results = materialize_all(settings, on_stage=stages.append, today=DAY)
    assert len(results) == 1 and not results[0].success  # the bronze run, its blocking check failed
    assert any("blocking checks failed: bronze/usage uniqueness" in s for s in stages)
    assert not DeltaTable.is_deltatable(settings.table_uri("silver", "usage"))
    assert not settings.warehouse.exists()

    stages.clear()
    results = materialize_all(
        settings, on_stage=stages.append, today=DAY
    )  # nothing new to ingest: re-checked, still bad
    assert len(results) == 1 and any("re-checking" in s for s in stages)
    assert any("blocking checks failed: bronze/usage uniqueness" in s for s in stages)
    assert not settings.warehouse.exists()
