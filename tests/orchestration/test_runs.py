"""The Dagster internals ``opslake run`` relies on, fenced in ``orchestration.lib.runs``, on a two-asset job."""

from __future__ import annotations

import time

import dagster as dg

from orchestration.lib import runs


@dg.asset
def upstream() -> int:
    return 1


@dg.asset(deps=[upstream])
def downstream() -> None:
    time.sleep(0.2)


@dg.asset_check(asset=upstream, blocking=True)
def upstream_is_sound() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)


@dg.asset_check(asset=downstream, metadata={"kind": "advisory"})
def downstream_is_fresh() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


DEFS = dg.Definitions(assets=[upstream, downstream], asset_checks=[upstream_is_sound, downstream_is_fresh])
UP, DOWN = dg.AssetKey("upstream"), dg.AssetKey("downstream")


def test_the_instance_is_persistent_with_telemetry_off(tmp_path):
    runs.instance_at(tmp_path / "dagster")
    assert (tmp_path / "dagster" / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"
    job = runs.asset_job(DEFS)
    runs.execute(job, runs.instance_at(tmp_path / "dagster"), [UP], [], {})
    assert len(runs.instance_at(tmp_path / "dagster").get_runs()) == 1  # a second handle sees the run


def test_keys_and_a_subset_run_with_chosen_checks(tmp_path):
    job = runs.asset_job(DEFS)
    assert runs.materializable_keys(job) == {UP, DOWN}
    every = runs.check_keys(job, [UP, DOWN], lambda spec: True)
    assert every == {dg.AssetCheckKey(UP, "upstream_is_sound"), dg.AssetCheckKey(DOWN, "downstream_is_fresh")}
    assert runs.check_keys(job, [UP, DOWN], lambda spec: spec.blocking) == {
        dg.AssetCheckKey(UP, "upstream_is_sound")
    }
    assert runs.check_keys(job, [DOWN], lambda spec: "kind" in spec.metadata) == {
        dg.AssetCheckKey(DOWN, "downstream_is_fresh")
    }
    instance = runs.instance_at(tmp_path)
    result = runs.execute(job, instance, [DOWN], [], {"team": "sre"})
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {DOWN}
    assert result.get_asset_check_evaluations() == []
    assert instance.get_run_by_id(result.run_id).tags["team"] == "sre"


def test_roots_are_the_parentless_assets_an_asset_descends_from():
    job = runs.asset_job(DEFS)
    roots = runs.roots_of(job)
    assert roots(DOWN) == {UP}
    assert roots(UP) == {UP}
    assert runs.dbt_seed_keys(job) == set()  # no dbt here; the opslake run test sees the seeds left as built


def test_a_failed_blocking_check_is_remembered_and_steps_are_timed(tmp_path):
    job = runs.asset_job(DEFS)
    instance = runs.instance_at(tmp_path)
    assert runs.failed_blocking_checks(job, instance, [UP]) == []
    started = time.perf_counter()
    result = runs.execute(job, instance, [UP, DOWN], runs.check_keys(job, [UP], lambda s: True), {})
    wall = time.perf_counter() - started
    assert not result.success  # the blocking check failed: downstream was not built
    assert {e.asset_key for e in result.get_asset_materialization_events()} == {UP}
    assert runs.failed_blocking_checks(job, instance, [UP, DOWN]) == [UP]
    assert 0 < runs.step_seconds(instance, result.run_id, "") <= wall
    assert runs.step_seconds(instance, result.run_id, "no_such_step") == 0
