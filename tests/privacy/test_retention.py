"""Retention: rows past their table's period go, with their history; the run is recorded."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from ingestion.pipeline import ingest
from privacy.retention import PolicyError, apply_retention, retention_policy
from tests.fixtures.records import audit, write_jsonl


def test_rows_older_than_the_period_are_deleted_and_unrecoverable(settings, tmp_path):
    old = [audit(i, occurred_at="2026-01-10T08:00:00Z", event_id=f"old-{i}") for i in range(3)]
    new = [audit(i, occurred_at="2026-11-10T08:00:00Z", event_id=f"new-{i}") for i in range(2)]
    ingest(settings, "audit", [write_jsonl(tmp_path / "a.jsonl", old + new)])
    uri = settings.table_uri("bronze", "audit")
    first_version = DeltaTable(uri).version()
    removed = apply_retention(
        settings, dt.date(2026, 11, 22), {"bronze/audit": {"days": 90, "column": "event_date"}}
    )
    assert (removed[0].rows, removed[0].partitions, removed[0].cutoff) == (3, 1, dt.date(2026, 8, 24))
    assert sorted(DeltaTable(uri).to_pyarrow_table()["event_id"].to_pylist()) == ["new-0", "new-1"]
    with pytest.raises(Exception):  # noqa: B017 - the old version is gone, whatever delta-rs calls it
        DeltaTable(uri, version=first_version).to_pyarrow_table()
    ops = DeltaTable(settings.table_uri("governance", "privileged_operations")).to_pyarrow_table().to_pylist()
    assert [(o["operation"], o["outcome"]) for o in ops] == [("retention", "succeeded")]
    assert json.loads(ops[0]["details"])["removed"][0]["rows"] == 3


def test_the_policy_file_covers_every_domain_and_is_valid():
    policy = retention_policy()
    for domain in ("audit", "usage", "incident", "delivery", "cost"):
        assert f"bronze/{domain}" in policy and f"silver/{domain}" in policy
    assert policy["bronze/usage"]["days"] == 90 and policy["bronze/audit"]["days"] == 400


def test_quality_results_age_out_by_their_check_time(settings):
    uri = settings.table_uri("governance", "quality_results")
    times = [dt.datetime(2025, 1, 5, tzinfo=dt.UTC), dt.datetime(2026, 11, 20, tzinfo=dt.UTC)]
    write_deltalake(uri, pa.table({"checked_at": pa.array(times, pa.timestamp("us", tz="UTC"))}))
    rule = retention_policy()["governance/quality_results"]
    removed = apply_retention(settings, dt.date(2026, 11, 22), {"governance/quality_results": rule})
    assert removed[0].rows == 1  # 2025-01-05 is more than 400 days before 2026-11-22
    assert removed[0].partitions == 0  # the table is not partitioned
    assert DeltaTable(uri).to_pyarrow_table()["checked_at"].to_pylist() == times[1:]


def test_a_policy_file_that_cannot_be_applied_is_refused_with_the_reason(tmp_path):
    cases = {
        "tables: {bronze/audit: {days: 400": "is not valid YAML",
        "tables: {bronze/nope: {days: 400, column: event_date}}": "bronze/nope is not a lake table",
        "tables: {bronze/audit: {days: 0.5, column: event_date}}": "bronze/audit needs whole `days` >= 1",
    }
    for text, reason in cases.items():
        path = tmp_path / "retention.yml"
        path.write_text(text)
        with pytest.raises(PolicyError, match=reason):
            retention_policy(path)
