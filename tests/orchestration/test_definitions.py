"""Dagster: the definitions load, the landing sensor asks for the right partitions, the main job runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from ingestion.contracts import DOMAINS
from opslake import lake
from opslake.tables import PRIVILEGED_OPERATIONS
from orchestration.definitions import build_definitions
from orchestration.lib import runs
from orchestration.lib.partitions import partition_range_tags
from orchestration.lib.resources import LakeResource
from tests.fixtures.cli import lake_held_by
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


def test_dagster_loads_the_definitions_without_the_venv_on_path(settings):
    """As cron or systemd start it: the venv's own `dagster`, a PATH without the venv, the home from the env."""
    venv = Path(sys.executable).parent
    env = {"PATH": "/usr/bin:/bin", "HOME": str(settings.home), **settings.env()}
    env["DAGSTER_HOME"] = str(settings.dagster_home)
    settings.dagster_home.mkdir(parents=True)
    command = [str(venv / "dagster"), "definitions", "validate", "-m", "orchestration.definitions"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=settings.home)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Validation successful" in done.stderr + done.stdout


def test_a_run_dagster_launches_waits_for_the_writer_holding_the_lake_and_fails_when_its_wait_runs_out(
    settings,
):
    """As the daemon launches a run (its own process, the definitions loaded from the module), here the scheduled
    retention job while an erasure writes: it waits, says whom for, and fails without touching the lake."""
    config = settings.home / "run_config.json"  # JSON is YAML
    fields = {"home": str(settings.home), "lake_root": settings.lake_root, "wait_seconds": 1}
    config.write_text(json.dumps({"resources": {"lake": {"config": fields}}}))
    instance = runs.instance_at(settings.dagster_home)
    env = {**settings.env(), "PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(settings.dagster_home)}
    command = [
        str(Path(sys.executable).parent / "dagster"),
        "job",
        "execute",
        "-m",
        "orchestration.definitions",
    ]
    command += ["-j", "retention", "-c", str(config)]
    sensor = build_definitions(settings).resolve_sensor_def("landing_sensor")
    with lake_held_by(settings, "erasure") as holder:
        erasure = lake.current_writer(settings)
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=settings.home)
        with dg.build_sensor_context(resources={"lake": LakeResource(**fields)}) as context:
            assert isinstance(sensor(context), dg.SkipReason)  # a sensor only reads: it does not wait
    assert (erasure.operation, erasure.pid) == ("erasure", holder.pid)
    assert done.returncode != 0
    assert f"{erasure} is still writing the lake after 1 s" in done.stderr
    (run,) = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.FAILURE
    said = [entry.user_message for entry in instance.all_logs(run.run_id)]
    assert f"waiting for {erasure} to finish writing the lake (at most 1 s)" in said
    assert (
        lake.open_table(settings.table_uri("governance", PRIVILEGED_OPERATIONS)) is None
    )  # retention: not run

    job = build_definitions(settings).resolve_job_def("retention")
    assert job.execute_in_process(instance=instance).success  # the lake free, the run goes through
    operations = lake.read_table(settings.table_uri("governance", PRIVILEGED_OPERATIONS))
    assert operations["operation"].to_pylist() == ["retention"]


def test_the_dbt_resource_reports_the_version_the_dbt_executable_prints(defs):
    """It answers dagster-dbt's version question from the package instead of asking the executable each build."""
    dbt = defs.resources["dbt"]
    printed = subprocess.run([dbt.dbt_executable, "--version"], capture_output=True, text=True, check=True)
    installed = next(line for line in printed.stdout.splitlines() if "installed:" in line).split()[-1]
    assert str(dbt._cli_version) == installed
    assert dbt._initialize_dbt_core_adapter(["build"]) is None
