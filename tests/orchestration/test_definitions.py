"""Dagster: the definitions load, the landing sensor asks for the right partitions, the main job runs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from deltalake import DeltaTable

from ingestion.contracts import DOMAINS
from orchestration.definitions import build_definitions
from orchestration.lib.partitions import partition_range_tags
from orchestration.lib.resources import LakeResource
from tests.fixtures.records import audit, write_jsonl


@pytest.fixture
def defs(settings) -> dg.Definitions:
    """The definitions for the test's home (the resources carry its settings)."""
    return build_definitions(settings)


def test_definitions_load_with_bronze_silver_dbt_assets_and_the_sensor(defs):
    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {f"bronze/{d}" for d in DOMAINS} | {f"silver/{d}" for d in DOMAINS} <= keys
    assert "staging/stg_silver__audit_events" in keys
    graph = defs.resolve_asset_graph()
    parents = graph.get(dg.AssetKey(["staging", "stg_silver__audit_events"])).parent_keys
    assert parents == {dg.AssetKey(["silver", "audit"])}  # staging reads silver, never bronze
    assert graph.get(dg.AssetKey(["silver", "audit"])).parent_keys == {dg.AssetKey(["bronze", "audit"])}
    assert defs.resolve_sensor_def("landing_sensor") is not None
    assert defs.resolve_job_def("retention") is not None
    assert defs.resolve_schedule_def("retention_schedule").cron_schedule == "15 2 * * *"
    assert graph.get(dg.AssetKey(["bronze", "audit"])).partitions_def is not None


def test_landing_sensor_requests_the_partitions_the_files_touch(settings, defs):
    write_jsonl(settings.landing_dir("audit") / "a.jsonl", [audit(0), audit(1), audit(2)])  # Nov 1, 2 and 3
    sensor = defs.resolve_sensor_def("landing_sensor")
    with dg.build_sensor_context(resources={"lake": LakeResource.of(settings)}) as context:
        requests = list(sensor(context))
    assert len(requests) == 1
    request = requests[0]
    assert request.asset_selection == [dg.AssetKey(["bronze", "audit"])]
    assert (request.partition_key_range.start, request.partition_key_range.end) == (
        "2026-11-01",
        "2026-11-03",
    )
    with dg.build_sensor_context(resources={"lake": LakeResource.of(settings)}) as context:
        again = list(sensor(context))
    assert again[0].run_key == request.run_key  # the same files are requested once


def test_dbt_models_are_requested_after_bronze_is_updated(settings, defs):
    write_jsonl(settings.landing_dir("audit") / "a.jsonl", [audit(0), audit(1)])
    instance = dg.DagsterInstance.ephemeral()
    model = dg.AssetKey(["silver", "audit"])
    first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
    quiet = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
    assert quiet.get_num_requested(model) == 0  # nothing changed since the last tick
    job = defs.resolve_implicit_global_asset_job_def()
    tags = partition_range_tags("2026-11-01", "2026-11-02")
    assert job.execute_in_process(
        instance=instance, asset_selection=[dg.AssetKey(["bronze", "audit"])], tags=tags
    ).success
    after = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=quiet.cursor)
    assert after.get_num_requested(model) == 1
    assert after.get_num_requested(dg.AssetKey(["silver", "usage"])) == 0  # bronze usage unchanged


def _landing_line_counts(landing: Path) -> dict[str, int]:
    counts = {}
    for domain in DOMAINS:
        files = sorted((landing / domain).glob("*"))
        if domain == "cost":
            counts[domain] = sum(len(f.read_text().splitlines()) - 1 for f in files)
        else:
            counts[domain] = sum(len(f.read_bytes().splitlines()) for f in files)
    return counts


def test_main_job_materialises_everything_on_a_small_data_set(settings):
    from demo import generate
    from orchestration.materialize import materialize_all

    generate(settings.landing, days=5, tenants=2, events=3000, seed=3, end=dt.date.today())
    expected = _landing_line_counts(settings.landing)
    landed = sorted(p.name for p in settings.landing.rglob("*") if p.is_file())
    results = materialize_all(settings)
    assert [r.success for r in results] == [True, True]
    for domain, lines in expected.items():
        table = DeltaTable(settings.table_uri("bronze", domain)).to_pyarrow_table()
        assert table.num_rows == lines, domain  # generated data is valid: every line is accepted once
    assert [p for d in DOMAINS for p in (settings.landing / d).glob("*")] == []  # ingested files are archived
    archived = sorted(p.name.split("-", 1)[1] for p in settings.archive.rglob("*") if p.is_file())
    assert archived == landed
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        audit_rows = con.execute("select count(*) from staging.stg_silver__audit_events").fetchone()[0]
        tenants = con.execute(
            "select count(distinct tenant_id) from staging.stg_silver__usage_events"
        ).fetchone()
        emails = con.execute(
            "select count(*) from staging.stg_silver__audit_events where actor_email like '%@%'"
        ).fetchone()[0]
    assert audit_rows == expected["audit"]
    assert tenants[0] == 2
    assert emails == 0  # the warehouse holds pseudonyms, not addresses

    before = settings.warehouse.stat().st_mtime_ns
    assert materialize_all(settings) == []  # nothing new: nothing runs, nothing changes
    assert settings.warehouse.stat().st_mtime_ns == before
    assert DeltaTable(settings.table_uri("bronze", "audit")).to_pyarrow_table().num_rows == expected["audit"]
    log = DeltaTable(settings.table_uri("bronze", "_ingest_log")).to_pyarrow_table().to_pylist()
    assert sum(r["accepted"] for r in log) == sum(expected.values())
    assert json.dumps(sorted({r["domain"] for r in log})) == json.dumps(sorted(DOMAINS))
