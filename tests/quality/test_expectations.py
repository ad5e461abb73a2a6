"""Data-quality suites on tiny lake tables: each check type fails on bad data and passes on good data."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import orjson
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from ingestion.contracts import contract_for
from opslake.tables import QUALITY_RESULTS
from quality.frames import volume_band
from quality.suites import lake_suite
from quality.validate import check_lake_table, data_docs
from tests.fixtures.lake_tables import DAY, NOW, usage, write_lake_table


def outcome(settings, domain: str, check: str, layer: str = "bronze", now: dt.datetime = NOW):
    report = check_lake_table(settings, layer, domain, "test-run", now=now)
    return report.outcomes[check]


def test_schema_passes_on_the_contract(settings):
    write_lake_table(settings, "bronze", "usage", [usage(1)])
    assert outcome(settings, "usage", "schema").passed


def test_schema_fails_on_a_missing_column_or_a_wrong_type(settings):
    schema = pa.schema([f.with_nullable(True) for f in contract_for("usage").arrow_schema()])
    broken = schema.remove(schema.get_field_index("feature"))
    broken = broken.set(broken.get_field_index("requests"), pa.field("requests", pa.string()))
    write_lake_table(settings, "bronze", "usage", [usage(1, requests="ten")], broken)
    failed = outcome(settings, "usage", "schema")
    assert not failed.passed and failed.blocking
    unexpected = failed.failures[0].observed_value["partial_unexpected_index_list"]
    assert {(u["column"], u["observed_type"]) for u in unexpected} == {
        ("feature", None),
        ("requests", "string"),
    }


def test_nullability_fails_on_a_missing_required_field_also_per_record_type(settings):
    write_lake_table(settings, "bronze", "usage", [usage(1), usage(2, tenant_id=None)])
    failed = outcome(settings, "usage", "nullability")
    assert not failed.passed
    assert [(r.column, r.observed_value["unexpected_count"]) for r in failed.failures] == [("tenant_id", 1)]

    common = {"tenant_id": "t-acme", "art": "Payments ART", "team": "Falcon", "occurred_at": NOW}
    pr = {
        **common,
        "event_id": "del-1",
        "record_type": "pull_request",
        "pr_id": "p/pr-1",
        "pr_action": "opened",
    }
    deployment = {**common, "event_id": "del-2", "record_type": "deployment", "service": "billing-api"}
    write_lake_table(settings, "bronze", "delivery", [pr, deployment])
    failed = outcome(settings, "delivery", "nullability")
    # a deployment needs deployment_id, environment and deployment_status; a PR needs none of them
    assert sorted(r.column for r in failed.failures) == ["deployment_id", "deployment_status", "environment"]
    assert all(r.observed_value["unexpected_count"] == 1 for r in failed.failures)


def test_nullability_passes_when_every_required_field_is_there(settings):
    write_lake_table(settings, "bronze", "usage", [usage(1), usage(2)])
    assert outcome(settings, "usage", "nullability").passed


def _incident(i: int, **overrides) -> dict:
    record = {
        "event_id": f"inc-{i}",
        "occurred_at": NOW - dt.timedelta(hours=1),
        "tenant_id": "t-acme",
        "incident_id": f"INC-{i}",
        "status": "triggered",
        "severity": "sev2",
        "service": "api-gateway",
    }
    return record | overrides


def test_accepted_values_fail_on_an_unknown_enum_value_and_pass_on_known_ones(settings):
    write_lake_table(settings, "bronze", "incident", [_incident(1), _incident(2, severity="sev9")])
    failed = outcome(settings, "incident", "accepted_values")
    assert not failed.passed and failed.severity == "warn" and not failed.blocking
    assert failed.failures[0].observed_value["partial_unexpected_list"] == ["sev9"]
    DeltaTable(settings.table_uri("bronze", "incident")).delete("severity = 'sev9'")
    assert outcome(settings, "incident", "accepted_values").passed


def test_range_fails_on_a_negative_count_and_passes_at_the_bound(settings):
    write_lake_table(settings, "bronze", "usage", [usage(1, requests=0), usage(2, errors=-1)])
    failed = outcome(settings, "usage", "range")
    assert [(r.column, r.expected) for r in failed.failures] == [("errors", {"min_value": 0})]
    DeltaTable(settings.table_uri("bronze", "usage")).delete("errors < 0")
    assert outcome(settings, "usage", "range").passed


def test_uniqueness_is_per_event_date_partition(settings):
    twice = [usage(1), usage(1, occurred_at=NOW)]  # same id, same day
    write_lake_table(settings, "bronze", "usage", twice)
    failed = outcome(settings, "usage", "uniqueness")
    assert (
        not failed.passed and failed.blocking and failed.failures[0].observed_value["unexpected_count"] == 2
    )

    other_day = usage(1, occurred_at=NOW - dt.timedelta(days=1), event_date=DAY - dt.timedelta(days=1))
    write_lake_table(settings, "bronze", "incident", [_incident(1)])
    DeltaTable(settings.table_uri("bronze", "usage")).delete("_line = 2")
    write_lake_table(settings, "bronze", "usage", [other_day])  # same id on another day: another event
    assert outcome(settings, "usage", "uniqueness").passed


def _delivery(i: int, **overrides) -> dict:
    record = {
        "event_id": f"del-{i}",
        "occurred_at": NOW,
        "tenant_id": "t-acme",
        "art": "Payments ART",
        "team": "Falcon",
    }
    return record | overrides


def test_referential_deployments_must_ship_known_pull_requests(settings):
    prs = [_delivery(i, record_type="pull_request", pr_id=f"p/pr-{i}", pr_action="merged") for i in range(3)]
    ship = {"record_type": "deployment", "deployment_id": "dep-1", "service": "billing-api"}
    ship |= {"environment": "production", "deployment_status": "success"}
    known = _delivery(10, pr_ids=orjson.dumps(["p/pr-0", "p/pr-1", "p/pr-2"]).decode(), **ship)
    write_lake_table(settings, "silver", "delivery", [*prs, known])
    assert outcome(settings, "delivery", "referential", "silver").passed

    unknown = _delivery(11, pr_ids=orjson.dumps(["p/pr-7", "p/pr-8"]).decode(), **ship)
    write_lake_table(settings, "silver", "delivery", [unknown])
    failed = outcome(settings, "delivery", "referential", "silver")
    assert not failed.passed  # 3 of 5 referenced PRs known: below the 95% the policy asks for
    observed = failed.failures[0].observed_value
    assert observed["unexpected_count"] == 2
    assert sorted(u["pr_id"] for u in observed["partial_unexpected_index_list"]) == ["p/pr-7", "p/pr-8"]


def test_referential_incidents_must_name_services_seen_in_usage(settings):
    write_lake_table(settings, "silver", "usage", [usage(1, service="api-gateway")])
    write_lake_table(settings, "silver", "incident", [_incident(1, service="api-gateway")])
    assert outcome(settings, "incident", "referential", "silver").passed
    write_lake_table(settings, "silver", "incident", [_incident(2, service="no-such-service")])
    failed = outcome(settings, "incident", "referential", "silver")
    assert failed.failures[0].observed_value["partial_unexpected_index_list"] == [
        {"service": "no-such-service", "known_service": None}
    ]


def test_freshness_fails_when_the_newest_event_is_too_old(settings):
    write_lake_table(settings, "bronze", "incident", [_incident(1, occurred_at=NOW - dt.timedelta(hours=5))])
    fresh = outcome(settings, "incident", "freshness")
    assert fresh.passed and fresh.results[0].observed_value == pytest.approx(5.0)
    stale = outcome(settings, "incident", "freshness", now=NOW + dt.timedelta(days=3))
    assert not stale.passed and stale.results[0].expected == {"max_value": 48}
    assert stale.results[0].observed_value == pytest.approx(77.0)


def _days_of_usage(settings, counts: dict[dt.date, int]) -> None:
    write_lake_table(
        settings, "bronze", "usage", [usage(i, day) for day, n in counts.items() for i in range(n)]
    )


def test_volume_flags_a_day_far_below_the_same_weekday_of_earlier_weeks(settings):
    weeks = {DAY - dt.timedelta(weeks=k): 40 + k for k in range(1, 5)}  # 41..44 rows on earlier Sundays
    weekdays = {DAY - dt.timedelta(days=d): 90 for d in (1, 2, 3)}  # other weekdays do not count
    _days_of_usage(settings, {**weeks, **weekdays, DAY: 5})
    # at noon of DAY its 5 rows are not judged yet (how much of a day arrives by noon depends on its sources):
    # the day before is
    assert outcome(settings, "usage", "volume").results[0].observed_value == 90
    failed = outcome(settings, "usage", "volume", now=NOW + dt.timedelta(days=1))
    assert not failed.passed
    low, high = volume_band([41, 42, 43, 44])
    assert (low, high) == (42.5 - 21.25, 42.5 + 21.25)  # median 42.5, the 50% ratio band is widest
    assert failed.results[0].observed_value == 5
    assert failed.results[0].expected == {"min_value": low, "max_value": high, "where": "history_points >= 3"}


def test_volume_passes_within_the_band_and_on_a_new_table(settings):
    _days_of_usage(settings, {DAY - dt.timedelta(days=7): 40, DAY: 5})  # one earlier week: too little history
    assert outcome(settings, "usage", "volume").passed
    _days_of_usage(settings, {DAY - dt.timedelta(weeks=k): 40 for k in (2, 3)})
    _days_of_usage(settings, {DAY: 30})  # 35 rows on DAY against 40, 40, 40
    assert outcome(settings, "usage", "volume", now=NOW + dt.timedelta(days=1)).passed


def test_volume_band_is_robust_to_one_outlier():
    assert volume_band([100, 100, 100, 5000]) == (50.0, 150.0)  # median 100, MAD 0: the ratio band
    assert volume_band([100, 110]) is None  # fewer than 3 points: no band


def test_silver_suite_skips_dropped_columns_and_value_checks_of_masked_ones():
    contract = contract_for("audit")
    suite = lake_suite("silver", contract, {"actor_email": "drop", "actor_type": "pseudonymize"})
    assert "actor_email" not in suite.expected_types
    assert not any(
        e.kwargs.get("column") == "actor_type" and e.check == "accepted_values" for e in suite.expectations
    )
    assert any(
        e.kwargs.get("column") == "actor_type" and e.check == "nullability" for e in suite.expectations
    )


def test_results_land_in_quality_results_and_data_docs_are_built(settings):
    write_lake_table(settings, "bronze", "usage", [usage(1), usage(2, errors=-3)])
    report = check_lake_table(settings, "bronze", "usage", "run-42", now=NOW)
    rows = DeltaTable(settings.table_uri("governance", QUALITY_RESULTS)).to_pyarrow_table().to_pylist()
    assert (
        len(rows)
        == sum(len(o.results) for o in report.outcomes.values())
        == len(lake_suite("bronze", contract_for("usage")).expectations)
    )
    assert {r["run_id"] for r in rows} == {"run-42"} and {r["asset"] for r in rows} == {"bronze/usage"}
    failed = [(r["check"], r["column"], r["severity"]) for r in rows if not r["passed"]]
    assert ("range", "errors", "warn") in failed
    errors = next(r for r in rows if r["column"] == "errors" and r["check"] == "range")
    assert orjson.loads(errors["observed_value"])["partial_unexpected_list"] == [-3]
    assert orjson.loads(errors["expected"]) == {"min_value": 0}
    page = Path(report.info["data_docs"])  # the check links to its validation page
    assert page.exists() and "bronze.usage.rows" in str(page) and "errors" in page.read_text()
    index = data_docs(settings)  # rebuilt once per run
    assert index == settings.home / "quality" / "data_docs" / "index.html"
    assert "bronze.usage.rows" in index.read_text()
