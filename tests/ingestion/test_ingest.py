"""Bronze ingestion: contract validation, the accounting identity, exactly-once, FOCUS, kill and restart."""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

from ingestion.pipeline import ingest
from tests.fixtures.lake_tables import read_bronze as bronze
from tests.fixtures.lake_tables import read_quarantine as quarantine
from tests.fixtures.lake_tables import usage
from tests.fixtures.records import BROKEN_AUDIT, FOCUS_SAMPLE, audit, write_jsonl


@pytest.mark.parametrize(("line", "reason"), BROKEN_AUDIT, ids=[r for _, r in BROKEN_AUDIT])
def test_each_bad_input_class_is_quarantined_with_its_reason(settings, tmp_path, line, reason):
    path = write_jsonl(tmp_path / "audit.jsonl", [audit(1), line])
    report = ingest(settings, "audit", [path])
    assert report.as_dict()["reasons"] == {reason: 1}
    assert (report.read, report.accepted, report.quarantined) == (2, 1, 1)
    q = quarantine(settings).to_pylist()
    assert [(r["line"], r["reason"]) for r in q] == [(2, reason)]
    raw = line if isinstance(line, bytes) else line.encode() if isinstance(line, str) else None
    if raw is not None:
        assert q[0]["raw_bytes"] == raw  # the raw text is kept byte for byte


def test_subscription_plan_and_quota_are_typed_fields(settings, tmp_path):
    renewal = audit(
        1, action="subscription.renew", plan="business", monthly_quota_units=63000, message="<PERSON>"
    )
    report = ingest(settings, "audit", [write_jsonl(tmp_path / "audit.jsonl", [renewal])])
    assert report.accepted == 1
    row = bronze(settings, "audit").to_pylist()[0]
    assert (row["plan"], row["monthly_quota_units"], row["_extra"]) == ("business", 63000, None)


def test_usage_windows_longer_than_a_minute_are_quarantined(settings, tmp_path):
    # the burn-rate alerts count a window whole in the minute it starts: at most 60 s (absent means 60)
    windows = [usage(i, window_seconds=s) for i, s in enumerate((60, 1, 30, 61, 300))]
    windows.append(usage(9))
    report = ingest(settings, "usage", [write_jsonl(tmp_path / "usage.jsonl", windows)])
    assert (report.accepted, report.quarantined) == (4, 2)
    assert report.as_dict()["reasons"] == {"out_of_range:window_seconds": 2}
    assert sorted(r["line"] for r in quarantine(settings).to_pylist()) == [4, 5]


def test_art_and_team_are_required_where_the_marts_read_them(settings, tmp_path):
    def delivery(n: int, record_type: str, **fields) -> dict:
        common = {"event_id": f"del-{n}", "occurred_at": "2026-11-02T10:00:00Z", "tenant_id": "t-acme"}
        return {**common, "record_type": record_type, **fields}

    deployment = {"deployment_id": "dep-1", "service": "search", "environment": "production",
                  "deployment_status": "success"}  # fmt: skip
    records = [
        # a pull request from a source that knows no SAFe train or team: accepted (it counts for its deployment)
        delivery(1, "pull_request", pr_id="search/pr-1", pr_action="opened"),
        delivery(2, "deployment", team="Team Falcon", **deployment),  # no art: accepted
        delivery(3, "deployment", art="Search ART", **deployment),  # DORA counts deployments per team
        delivery(
            4,
            "work_item",
            team="Team Falcon",
            pi="PI-2026.4",
            work_item_id="STORY-1",
            work_item_type="story",
            to_state="backlog",
        ),  # fmt: skip
    ]
    report = ingest(settings, "delivery", [write_jsonl(tmp_path / "delivery.jsonl", records)])
    assert report.as_dict()["reasons"] == {"missing_field:team": 1, "missing_field:art": 1}
    assert sorted(r["event_id"] for r in bronze(settings, "delivery").to_pylist()) == ["del-1", "del-2"]


def test_accounting_identity_and_duplicates_in_batch_and_table(settings, tmp_path):
    good = [audit(i) for i in range(50)]
    first = write_jsonl(tmp_path / "a.jsonl", good[:30] + [good[5], good[6]] + [x for x, _ in BROKEN_AUDIT])
    report = ingest(settings, "audit", [first])
    assert report.as_dict() == {
        "read": 30 + 2 + len(BROKEN_AUDIT),
        "accepted": 30,
        "duplicates": 2,
        "quarantined": len(BROKEN_AUDIT),
        "reasons": _count(r for _, r in BROKEN_AUDIT),
        "ignored": {},
        "skipped": {},
    }
    second = write_jsonl(tmp_path / "b.jsonl.gz", good[20:50])  # 10 already in the table, 20 new
    report = ingest(settings, "audit", [second])
    assert (report.read, report.accepted, report.duplicates, report.quarantined) == (30, 20, 10, 0)
    table = bronze(settings, "audit")
    assert sorted(table["event_id"].to_pylist()) == sorted(f"aud-{i}" for i in range(50))


def _count(reasons) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in reasons:
        out[r] = out.get(r, 0) + 1
    return dict(sorted(out.items()))


def test_reingesting_the_same_file_changes_nothing(settings, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [audit(i) for i in range(20)] + [x for x, _ in BROKEN_AUDIT])
    ingest(settings, "audit", [path])
    before = (bronze(settings, "audit").num_rows, quarantine(settings).num_rows)
    again = ingest(settings, "audit", [path])
    assert (again.accepted, again.duplicates, again.quarantined) == (0, 20, len(BROKEN_AUDIT))
    assert (
        (bronze(settings, "audit").num_rows, quarantine(settings).num_rows)
        == before
        == (20, len(BROKEN_AUDIT))
    )


def test_bronze_rows_are_typed_partitioned_and_keep_lineage_and_extras(settings, tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl", [audit(1, occurred_at="2026-11-02T23:30:00-02:00", vendor_field=[1, 2])]
    )
    ingest(settings, "audit", [path])
    row = bronze(settings, "audit").to_pylist()[0]
    assert row["occurred_at"].isoformat() == "2026-11-03T01:30:00+00:00"  # converted to UTC
    assert str(row["event_date"]) == "2026-11-03"  # partition by the UTC date
    assert json.loads(row["_extra"]) == {"vendor_field": [1, 2]}  # unknown fields are kept
    assert (row["_source_file"], row["_line"]) == (str(path), 1)
    partitions = {p["event_date"] for p in DeltaTable(settings.table_uri("bronze", "audit")).partitions()}
    assert partitions == {"2026-11-03"}


def test_csv_and_parquet_inputs_follow_the_same_contract(settings, tmp_path):
    rows = [audit(i) for i in range(4)]
    csv_path = tmp_path / "a.csv"
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for r in rows[:2]:
            writer.writerow({**r, "mfa_used": "true"})
        writer.writerow({**rows[2], "mfa_used": "maybe"})
    pq.write_table(pa.Table.from_pylist(rows[3:]), tmp_path / "a.parquet")
    report = ingest(settings, "audit", [csv_path, tmp_path / "a.parquet"])
    assert (report.accepted, report.quarantined, dict(report.reasons)) == (3, 1, {"bad_type:mfa_used": 1})
    assert bronze(settings, "audit").column("mfa_used").to_pylist() == [True, True, True]


def test_truncated_gzip_keeps_what_was_readable_and_quarantines_the_rest(settings, tmp_path):
    data = gzip.compress(b"".join(json.dumps(audit(i)).encode() + b"\n" for i in range(2000)))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    report = ingest(settings, "audit", [path])
    assert report.read == report.accepted + report.duplicates + report.quarantined
    assert 0 < report.accepted < 2000
    assert report.reasons["corrupt_file:EOFError"] == 1
    assert report.quarantined <= 2  # the damage, and at most the line it cut in half


def test_focus_sample_ingests_as_it_is(settings):
    with open(FOCUS_SAMPLE, newline="") as f:
        rows = list(csv.DictReader(f))
    billed = sum(float(r["BilledCost"]) for r in rows)
    nulls = sum(r["ChargeClass"] == "NULL" for r in rows)
    report = ingest(settings, "cost", [FOCUS_SAMPLE])
    assert (report.read, report.accepted, report.quarantined) == (len(rows), len(rows), 0)
    table = bronze(settings, "cost")
    assert table.num_rows == 1000
    assert sum(table["billed_cost"].to_pylist()) == pytest.approx(billed, abs=1e-9)
    assert table["charge_class"].null_count == nulls  # literal NULL strings are nulls
    assert set(table["tenant_id"].to_pylist()) == {"unallocated"}  # the sample carries no tenant tag
    assert {json.loads(x)["Id"] for x in table["_extra"].to_pylist()} == {r["Id"] for r in rows}
    assert ingest(settings, "cost", [FOCUS_SAMPLE]).duplicates == 1000


def test_cost_rows_map_to_tenants_through_tags_and_identical_rows_stay_distinct(settings, tmp_path):
    with open(FOCUS_SAMPLE, newline="") as f:
        reader = csv.DictReader(f)
        header, row = reader.fieldnames, next(reader)
    path = tmp_path / "focus.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        tagged = {**row, "Tags": json.dumps({"tenant": "t-acme", "env": "prod"})}
        writer.writerows([tagged, tagged, row])
    report = ingest(settings, "cost", [path])
    assert report.accepted == 3  # two identical line items are two charges, not a duplicate
    assert sorted(bronze(settings, "cost")["tenant_id"].to_pylist()) == ["t-acme", "t-acme", "unallocated"]


KILL_SCRIPT = """
import sys
from pathlib import Path
from ingestion import pipeline
from opslake.settings import Settings
pipeline.FLUSH_ROWS = 2_000
pipeline.ingest(Settings.at(sys.argv[1]), "audit", [Path(sys.argv[2])], workers=1)
"""


def test_killed_ingestion_restarts_without_duplicates_or_loss(settings, tmp_path):
    n = 60_000
    path = write_jsonl(tmp_path / "big.jsonl", [audit(i) for i in range(n)] + [x for x, _ in BROKEN_AUDIT])
    log = Path(settings.table_uri("bronze", "audit")) / "_delta_log"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(settings.home), str(path)])
    deadline = time.time() + 60
    while time.time() < deadline and len(list(log.glob("*.json"))) < 2 and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "ingestion finished before it could be killed; make the file larger"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = bronze(settings, "audit").num_rows
    assert 0 < partial < n
    report = ingest(settings, "audit", [path])
    assert report.duplicates == partial and report.accepted == n - partial
    ids = bronze(settings, "audit")["event_id"].to_pylist()
    assert len(ids) == len(set(ids)) == n
    assert quarantine(settings).num_rows == len(BROKEN_AUDIT)
