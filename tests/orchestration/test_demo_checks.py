"""The demo data is healthy data: built through the whole pipeline, it passes every dbt test and every quality check.

A check that fires on it fires on legitimate data (a wrong rule), and a warning on every run teaches people to
ignore warnings. Conditions of real data that the marts handle by a fallback are named by `opslake run` as
"to review" instead (tests/transforms/test_seed_fallbacks.py)."""

from __future__ import annotations

from cli.summary import review_notes
from ingestion.contracts import DOMAINS
from orchestration.definitions import build_definitions
from orchestration.lib import runs


def test_the_demo_lake_passes_every_dbt_test_and_quality_check(built_lake):
    settings = built_lake.settings
    job = runs.asset_job(build_definitions(settings))
    keys = runs.check_keys(job, runs.materializable_keys(job), lambda spec: True)
    storage = runs.instance_at(settings.dagster_home).event_log_storage
    latest = storage.get_latest_asset_check_execution_by_key(list(keys))
    assert len(latest) == len(keys)  # every check ran
    failed = sorted(
        f"{k.asset_key.to_user_string()} {k.name}" for k, r in latest.items() if r.status.value != "SUCCEEDED"
    )
    # The lake's data ends on a fixed day (END) while freshness is measured against the clock: those fail by design
    stale = [f"bronze/{d} freshness" for d in DOMAINS]
    assert [f for f in failed if f not in stale] == []
    assert review_notes(settings) == []  # the seeds cover the demo's states, types, services and tenants
