"""The DORA and incident marts, recomputed a second way in Python from the staging rows of the built test lake."""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections import defaultdict

import pytest

DORA = "marts.dora_metrics_monthly"
INCIDENTS = "marts.incident_metrics_monthly"


def utc(ts: dt.datetime) -> dt.datetime:
    return ts.astimezone(dt.UTC)


def month_of(ts: dt.datetime) -> dt.date:
    ts = utc(ts)
    return dt.date(ts.year, ts.month, 1)


def hours(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 3600


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module")
def deployments(built_lake) -> list[dict]:
    rows = built_lake.dicts(
        "select tenant_id, deployment_id, team, service, environment, deployment_status, occurred_at, pr_ids "
        "from staging.stg_silver__deployments"
    )
    for row in rows:
        row["pr_ids"] = json.loads(row["pr_ids"]) if row["pr_ids"] else []
    return rows


@pytest.fixture(scope="module")
def incidents(built_lake) -> dict[str, dict]:
    """Incidents from their lifecycle events: first trigger / ack / resolve, attributes of the latest event."""
    out: dict[str, dict] = {}
    events = built_lake.dicts(
        "select incident_id, tenant_id, status, severity, service, caused_by_deployment_id, occurred_at "
        "from staging.stg_silver__incident_events order by occurred_at"
    )
    for ev in events:
        inc = out.setdefault(ev["incident_id"], {"triggered": None, "acknowledged": None, "resolved": None})
        inc.update(tenant_id=ev["tenant_id"], severity=ev["severity"], service=ev["service"])
        inc["caused_by"] = ev["caused_by_deployment_id"]
        if inc[ev["status"]] is None:
            inc[ev["status"]] = ev["occurred_at"]
    return out


@pytest.fixture(scope="module")
def expected_dora(built_lake, deployments, incidents) -> dict[tuple, dict]:
    """Deployments, p50 lead time, change failure rate and p50 time to restore per (tenant, team, month)."""
    production = sorted(
        (d for d in deployments if d["environment"] == "production"),
        key=lambda d: (d["occurred_at"], d["deployment_id"]),
    )
    by_id = {d["deployment_id"]: d for d in production}
    causes = {inc["caused_by"] for inc in incidents.values() if inc["caused_by"]}
    out: dict[tuple, dict] = defaultdict(
        lambda: {"deployments": 0, "attempts": 0, "failures": 0, "leads": [], "ttr": []}
    )

    for d in production:
        row = out[d["tenant_id"], d["team"], month_of(d["occurred_at"])]
        row["attempts"] += 1
        row["deployments"] += d["deployment_status"] == "success"
        row["failures"] += d["deployment_id"] in causes

    # commits of each PR from its first merge event; PRs merged before the data have none
    merged: dict[str, list[dict]] = {}
    for ev in built_lake.dicts(
        "select pr_id, commits from staging.stg_silver__pull_request_events "
        "where pr_action = 'merged' order by occurred_at"
    ):
        if ev["commits"] is not None:
            merged.setdefault(ev["pr_id"], json.loads(ev["commits"]))
    first_shipment: dict[str, dict] = {}
    for d in production:  # in finish order: the first successful deployment carrying a PR wins
        if d["deployment_status"] == "success":
            for pr_id in d["pr_ids"]:
                first_shipment.setdefault(pr_id, d)
    for pr_id, d in first_shipment.items():
        for commit in merged.get(pr_id, []):
            committed = dt.datetime.fromisoformat(commit["committed_at"].replace("Z", "+00:00"))
            out[d["tenant_id"], d["team"], month_of(d["occurred_at"])]["leads"].append(
                hours(d["occurred_at"] - committed)
            )

    # incidents: the causing deployment's team, else the service's owner as of the trigger
    for inc in incidents.values():
        if inc["triggered"] is None:
            continue
        owner = by_id.get(inc["caused_by"])
        if owner is None:
            same_service = [d for d in production if d["service"] == inc["service"]]
            before = [d for d in same_service if d["occurred_at"] <= inc["triggered"]]
            owner = max(before, key=lambda d: d["occurred_at"]) if before else (same_service or [None])[0]
        if owner is None:
            continue
        row = out[owner["tenant_id"], owner["team"], month_of(inc["triggered"])]
        if inc["resolved"] is not None:
            row["ttr"].append(hours(inc["resolved"] - inc["triggered"]))
    return dict(out)


@pytest.fixture(scope="module")
def dora_rows(built_lake) -> dict[tuple, dict]:
    rows = built_lake.dicts(f"select * from {DORA}")
    return {(r["tenant_id"], r["team"], r["month"]): r for r in rows}


def test_dora_mart_has_a_row_for_every_team_and_month(dora_rows, expected_dora):
    assert dora_rows, "the DORA mart is empty"
    assert set(expected_dora) <= set(dora_rows)
    for tenant in {k[0] for k in dora_rows}:
        teams = {k[1] for k in dora_rows if k[0] == tenant}
        months = sorted({k[2] for k in dora_rows if k[0] == tenant})
        n_months = (months[-1].year - months[0].year) * 12 + months[-1].month - months[0].month + 1
        assert len(months) == n_months, "a month is missing from the spine"
        assert sum(k[0] == tenant for k in dora_rows) == len(teams) * n_months
    for key, row in dora_rows.items():
        if key not in expected_dora or expected_dora[key]["deployments"] == 0:
            assert row["deployments"] == 0
            assert row["deployment_frequency_band"] == "low"
            assert row["lead_time_p50_hours"] is None


def test_dora_mart_matches_staging_recomputed(dora_rows, expected_dora):
    checked = 0
    for key, exp in expected_dora.items():
        row = dora_rows[key]
        assert row["deployments"] == exp["deployments"], key
        assert row["production_deployment_attempts"] == exp["attempts"], key
        assert row["commits_deployed"] == len(exp["leads"]), key
        assert close(row["lead_time_p50_hours"], statistics.median(exp["leads"]) if exp["leads"] else None), (
            key
        )
        rate = exp["failures"] / exp["attempts"] if exp["attempts"] else None
        assert close(row["change_failure_rate"], rate), key
        assert row["resolved_incidents"] == len(exp["ttr"]), key
        assert close(
            row["time_to_restore_p50_hours"], statistics.median(exp["ttr"]) if exp["ttr"] else None
        ), key
        checked += 1
    assert checked >= 10
    assert any(e["leads"] for e in expected_dora.values())
    assert any(e["failures"] for e in expected_dora.values())


def test_dora_bands_follow_the_thresholds(dora_rows):
    def band(value: float | None, limits: tuple[float, float, float], inclusive: bool = False) -> str | None:
        if value is None:
            return None
        for limit, name in zip(limits, ("elite", "high", "medium"), strict=True):
            if value < limit or (inclusive and value == limit):
                return name
        return "low"

    for key, row in dora_rows.items():
        assert row["lead_time_band"] == band(row["lead_time_p50_hours"], (24, 168, 720)), key
        assert row["time_to_restore_band"] == band(row["time_to_restore_p50_hours"], (1, 24, 168)), key
        if row["production_deployment_attempts"]:
            pct = 100 * row["change_failures"] / row["production_deployment_attempts"]
            assert row["change_failure_rate_band"] == band(pct, (5, 10, 15), inclusive=True), key


def test_incident_mart_matches_staging_recomputed(built_lake, incidents):
    expected: dict[tuple, dict] = defaultdict(lambda: {"n": 0, "ack": [], "res": []})
    for inc in incidents.values():
        if inc["triggered"] is None:
            continue
        row = expected[inc["tenant_id"], inc["service"], inc["severity"], month_of(inc["triggered"])]
        row["n"] += 1
        if inc["acknowledged"] is not None:
            row["ack"].append((inc["acknowledged"] - inc["triggered"]).total_seconds() / 60)
        if inc["resolved"] is not None:
            row["res"].append((inc["resolved"] - inc["triggered"]).total_seconds() / 60)
    rows = {
        (r["tenant_id"], r["service"], r["severity"], r["month"]): r
        for r in built_lake.dicts(f"select * from {INCIDENTS}")
    }
    assert set(rows) == set(expected)
    assert len({k[0] for k in rows}) > 1, "incidents should span several customer tenants"
    for key, exp in expected.items():
        row = rows[key]
        assert row["incidents"] == exp["n"], key
        assert row["resolved_incidents"] == len(exp["res"]), key
        assert close(row["mtta_p50_minutes"], statistics.median(exp["ack"]) if exp["ack"] else None), key
        assert close(row["mtta_mean_minutes"], statistics.fmean(exp["ack"]) if exp["ack"] else None), key
        assert close(row["mttr_p50_minutes"], statistics.median(exp["res"]) if exp["res"] else None), key
        assert close(row["mttr_mean_minutes"], statistics.fmean(exp["res"]) if exp["res"] else None), key
