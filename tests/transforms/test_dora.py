"""The DORA and incident marts, recomputed a second way in Python from the staging rows of the built test lake; the
DORA drill-down marts (deployments, commits' lead times) also summed back to the monthly mart's numbers."""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections import Counter, defaultdict

import pytest

DORA = "marts.dora_metrics_monthly"
DEPLOYMENTS = "marts.dora_deployments"
LEAD_TIMES = "marts.dora_change_lead_times"
# the monthly mart's counts that the rows of dora_deployments add up to
COUNTED_IN_BOTH = ("deployments", "production_deployment_attempts", "change_failures", "commits_deployed")
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
def incidents(built_lake) -> dict[tuple[str, str], dict]:
    """Incidents by (tenant, incident id), an id being unique within its tenant only, from their lifecycle
    events: first trigger / ack / resolve, attributes of the latest event."""
    out: dict[tuple[str, str], dict] = {}
    events = built_lake.dicts(
        "select incident_id, tenant_id, status, severity, service, caused_by_deployment_id, occurred_at "
        "from staging.stg_silver__incident_events order by occurred_at"
    )
    for ev in events:
        inc = out.setdefault(
            (ev["tenant_id"], ev["incident_id"]), {"triggered": None, "acknowledged": None, "resolved": None}
        )
        inc.update(tenant_id=ev["tenant_id"], severity=ev["severity"], service=ev["service"])
        inc["caused_by"] = ev["caused_by_deployment_id"]
        if inc[ev["status"]] is None:
            inc[ev["status"]] = ev["occurred_at"]
    return out


@pytest.fixture(scope="module")
def production(deployments) -> list[dict]:
    """Production deployment attempts, successful or failed, in finish order."""
    return sorted(
        (d for d in deployments if d["environment"] == "production"),
        key=lambda d: (d["occurred_at"], d["deployment_id"]),
    )


@pytest.fixture(scope="module")
def shipped_commits(built_lake, production) -> list[dict]:
    """Each commit with the first successful production deployment of its PR and its lead time in hours."""
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
    out = []
    for pr_id, d in first_shipment.items():
        for index, commit in enumerate(merged.get(pr_id, []), start=1):
            committed = dt.datetime.fromisoformat(commit["committed_at"].replace("Z", "+00:00"))
            lead = hours(d["occurred_at"] - committed)
            out.append(
                {"pr_id": pr_id, "commit_index": index, "sha": commit["sha"], "committed": committed,
                 "deployment": d, "lead": lead}
            )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def expected_dora(production, shipped_commits, incidents) -> dict[tuple, dict]:
    """Deployments, p50 lead time, change failure rate and p50 time to restore per (tenant, team, month)."""
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

    for commit in shipped_commits:
        d = commit["deployment"]
        out[d["tenant_id"], d["team"], month_of(d["occurred_at"])]["leads"].append(commit["lead"])

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


@pytest.fixture(scope="module")
def deployment_rows(built_lake) -> dict[str, dict]:
    return {r["deployment_id"]: r for r in built_lake.dicts(f"select * from {DEPLOYMENTS}")}


@pytest.fixture(scope="module")
def lead_time_rows(built_lake) -> list[dict]:
    return built_lake.dicts(f"select * from {LEAD_TIMES}")


def test_dora_deployments_add_up_to_the_monthly_mart(deployment_rows, dora_rows):
    sums: dict[tuple, Counter] = defaultdict(Counter)
    for row in deployment_rows.values():
        month = sums[row["tenant_id"], row["team"], row["month"]]
        month["deployments"] += row["is_counted_as_deployment"]
        month["production_deployment_attempts"] += 1
        month["change_failures"] += row["is_change_failure"]
        month["commits_deployed"] += row["commits_deployed"]
    assert set(sums) <= set(dora_rows), "a deployment counts in a month the monthly mart does not have"
    for key, row in dora_rows.items():  # months without attempts: no rows, and zeros in the monthly mart
        for column in COUNTED_IN_BOTH:
            assert sums.get(key, Counter())[column] == row[column], (key, column)
    totals = sum(sums.values(), Counter())
    assert totals["change_failures"] > 0 and totals["commits_deployed"] > 0
    assert totals["deployments"] < totals["production_deployment_attempts"], "no failed attempt in the lake"


def test_dora_change_lead_times_add_up_to_the_monthly_mart(lead_time_rows, dora_rows):
    leads: dict[tuple, list[float]] = defaultdict(list)
    for row in lead_time_rows:
        leads[row["tenant_id"], row["team"], row["month"]].append(row["lead_time_hours"])
    assert set(leads) <= set(dora_rows)
    for key, row in dora_rows.items():
        sample = leads.get(key, [])
        assert len(sample) == row["commits_deployed"], key
        assert close(statistics.median(sample) if sample else None, row["lead_time_p50_hours"]), key
    assert sum(len(sample) > 1 for sample in leads.values()) >= 5


def test_dora_deployments_match_staging_recomputed(deployment_rows, production, shipped_commits, incidents):
    leads: dict[str, list[float]] = defaultdict(list)
    for commit in shipped_commits:
        leads[commit["deployment"]["deployment_id"]].append(commit["lead"])
    caused: dict[str, list[dict]] = defaultdict(list)
    for key, inc in sorted(incidents.items()):
        if inc["caused_by"]:
            caused[inc["caused_by"]].append({"id": ":".join(key), "resolved": inc["resolved"]})

    assert set(deployment_rows) == {d["deployment_id"] for d in production}
    for d in production:
        key = d["deployment_id"]
        row = deployment_rows[key]
        assert (row["tenant_id"], row["team"]) == (d["tenant_id"], d["team"]), key
        assert row["service"] == d["service"], key
        assert row["month"] == month_of(d["occurred_at"]) and row["finished_at"] == d["occurred_at"], key
        assert row["deployment_status"] == d["deployment_status"], key
        assert row["is_counted_as_deployment"] == (d["deployment_status"] == "success"), key
        sample = leads.get(key, [])
        assert row["commits_deployed"] == len(sample), key
        assert close(row["lead_time_p50_hours"], statistics.median(sample) if sample else None), key
        assert close(row["lead_time_max_hours"], max(sample) if sample else None), key
        blamed = caused.get(key, [])
        assert row["caused_incident_ids"] == [i["id"] for i in blamed], key
        assert row["incidents_caused"] == len(blamed) and row["is_change_failure"] == bool(blamed), key
        recovered = bool(blamed) and all(i["resolved"] is not None for i in blamed)
        recovered_at = max(i["resolved"] for i in blamed) if recovered else None
        assert row["recovered_at"] == recovered_at, key
        assert close(
            row["failed_deployment_recovery_hours"],
            hours(recovered_at - d["occurred_at"]) if recovered else None,
        ), key
    rows = deployment_rows.values()
    assert any(r["recovered_at"] for r in rows), "no failed deployment recovered"
    assert any(r["is_change_failure"] and not r["is_counted_as_deployment"] for r in rows), (
        "no failed attempt broke"
    )


def test_dora_change_lead_times_match_staging_recomputed(lead_time_rows, shipped_commits):
    expected = {
        (c["pr_id"], c["commit_index"]): (
            c["sha"], c["committed"], c["deployment"]["deployment_id"], c["deployment"]["team"],
            c["deployment"]["occurred_at"], month_of(c["deployment"]["occurred_at"]), c["lead"],
        )
        for c in shipped_commits
    }  # fmt: skip
    actual = {
        (r["pr_id"], r["commit_index"]): (
            r["commit_sha"], r["committed_at"], r["deployment_id"], r["team"], r["deployed_at"], r["month"],
            r["lead_time_hours"],
        )
        for r in lead_time_rows
    }  # fmt: skip
    assert len(actual) == len(lead_time_rows), "two rows for one commit"
    assert expected and actual.keys() == expected.keys()
    for key, want in expected.items():
        got = actual[key]
        assert got[:-1] == want[:-1] and close(got[-1], want[-1]), key


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
