"""The synthetic data generator: determinism, counts, contract conformance and cross-domain coherence.

Everything is checked from the written files, independently of the generator's internals.
"""

from __future__ import annotations

import contextlib
import csv
import filecmp
import ipaddress
import json
import math
import re
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import orjson
import psutil
import pytest

from demo import activity, generate
from ingestion.contracts import CONTRACTS, Field

END = date(2026, 9, 14)
SMALL = {"days": 14, "tenants": 3, "events": 20_000, "seed": 7, "end": END}
JSONL_DOMAINS = ("audit", "usage", "incident", "delivery")
DERIVED = ("event_id", "occurred_at", "tenant_id")
COST_FIELDS = [f for f in CONTRACTS["cost"].fields if f.name not in DERIVED]


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("small")
    return out, generate(out, **SMALL)


@pytest.fixture(scope="module")
def records(small) -> dict[str, list[dict]]:
    out, _ = small
    return {d: [r for f in sorted((out / d).glob("*.jsonl")) for r in _jsonl(f)] for d in JSONL_DOMAINS}


@pytest.fixture(scope="module")
def cost_rows(small) -> list[dict]:
    out, _ = small
    return [
        row
        for f in sorted((out / "cost").glob("*.csv"))
        for row in csv.DictReader(f.read_text().splitlines())
    ]


@pytest.fixture(scope="module")
def medium(tmp_path_factory) -> dict:
    """A month of the default 12 tenants, generated while sampling memory (this process and its workers)."""
    out = tmp_path_factory.mktemp("medium")
    proc, done = psutil.Process(), threading.Event()
    peak = {"self": 0, "worker": 0}

    def sample() -> None:
        while not done.wait(0.02):
            peak["self"] = max(peak["self"], proc.memory_info().rss)
            for child in proc.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    # USS: a forked worker's RSS also counts the pages it shares with this (large) process
                    peak["worker"] = max(peak["worker"], child.memory_full_info().uss)

    before = proc.memory_info().rss
    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        counts = generate(out, days=30, events=300_000, end=END)
    finally:
        done.set()
        sampler.join()
    return {"out": out, "counts": counts, "growth": peak["self"] - before, "worker": peak["worker"]}


def _jsonl(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _tenants(recs: dict[str, list[dict]]) -> set[str]:
    """The customer tenants, as announced by their subscription events on the first day."""
    return {r["tenant_id"] for r in recs["audit"] if r["action"] == "subscription.renew"}


# Determinism and volume


def test_same_arguments_give_identical_files_and_another_seed_does_not(small, tmp_path):
    out, counts = small
    assert generate(tmp_path / "again", **SMALL) == counts
    cmp = filecmp.dircmp(out, tmp_path / "again")
    assert not cmp.left_only and not cmp.right_only
    for domain in (*JSONL_DOMAINS, "cost"):
        names = sorted(p.name for p in (out / domain).iterdir())
        assert filecmp.cmpfiles(out / domain, tmp_path / "again" / domain, names, shallow=False)[0] == names
    generate(tmp_path / "other", **{**SMALL, "seed": 8})
    first = f"{END - timedelta(days=13)}.jsonl"
    assert (out / "usage" / first).read_bytes() != (tmp_path / "other" / "usage" / first).read_bytes()


def test_worker_processes_write_the_same_bytes(small, tmp_path, monkeypatch):
    out, counts = small
    monkeypatch.setattr(activity, "PARALLEL_FROM", 0)
    assert generate(tmp_path, **SMALL) == counts
    for domain in (*JSONL_DOMAINS, "cost"):
        names = sorted(p.name for p in (out / domain).iterdir())
        assert filecmp.cmpfiles(out / domain, tmp_path / domain, names, shallow=False)[0] == names


def test_layout_one_file_per_day_and_one_export_per_month(small):
    out, _ = small
    days = [END - timedelta(days=i) for i in range(13, -1, -1)]
    for domain in JSONL_DOMAINS:
        assert sorted(p.name for p in (out / domain).iterdir()) == [f"{d}.jsonl" for d in days]
    months = sorted({f"focus-{d:%Y-%m}.csv" for d in days})
    assert sorted(p.name for p in (out / "cost").iterdir()) == months
    header = (out / "cost" / months[0]).read_text().splitlines()[0]
    assert next(csv.reader([header])) == [f.input_name for f in COST_FIELDS]


def test_counts_match_the_files_and_the_requested_mix(small, records, cost_rows):
    _, counts = small
    assert counts == {**{d: len(records[d]) for d in JSONL_DOMAINS}, "cost": len(cost_rows)}
    total = SMALL["events"]
    assert abs(sum(counts.values()) - total) < 0.03 * total
    shares = {"usage": 0.60, "audit": 0.25, "delivery": 0.10, "incident": 0.01, "cost": 0.04}
    for domain, share in shares.items():
        assert counts[domain] == pytest.approx(share * total, rel=0.15), domain


def test_event_ids_are_unique_and_prefixed(records):
    prefixes = {"audit": "aud-", "usage": "use-", "incident": "inc-", "delivery": "del-"}
    ids = [r["event_id"] for d in JSONL_DOMAINS for r in records[d]]
    assert len(ids) == len(set(ids))
    for domain, prefix in prefixes.items():
        assert all(r["event_id"].startswith(prefix) for r in records[domain])


def test_runs_with_other_arguments_get_other_event_ids(records, tmp_path):
    generate(tmp_path, **{**SMALL, "end": END + timedelta(days=1)})
    other = {r["event_id"] for path in (tmp_path / "audit").glob("*.jsonl") for r in _jsonl(path)}
    assert other.isdisjoint(r["event_id"] for r in records["audit"])


def test_records_are_in_time_order_within_their_day(small):
    out, _ = small
    for domain in JSONL_DOMAINS:
        for path in (out / domain).glob("*.jsonl"):
            times = [r["occurred_at"] for r in _jsonl(path)]
            assert times == sorted(times)
            assert all(t.startswith(path.stem) for t in times)


# Nothing after the moment of generation

NOW = datetime(2026, 9, 14, 13, 37, 21, tzinfo=UTC)  # mid-day of END
ISO = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\dZ?")
# FOCUS BillingPeriodEnd is the declared end of the open billing month, not a time anything happened at.
PERIOD_BOUNDS = {"BillingPeriodEnd"}


def _timestamps(value: object, name: str = "") -> Iterator[tuple[str, datetime]]:
    """Every timestamp in a record, nested ones (commits) included, found by its shape, not by field name."""
    if isinstance(value, dict):
        for key, v in value.items():
            yield from _timestamps(v, key)
    elif isinstance(value, list):
        for v in value:
            yield from _timestamps(v, name)
    elif isinstance(value, str) and ISO.fullmatch(value):
        yield name, datetime.fromisoformat(value).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def cut(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cut")
    generate(out, **SMALL, now=NOW)
    return out


def test_nothing_after_now_is_generated_in_any_domain(cut):
    seen = Counter()
    for domain in JSONL_DOMAINS:
        for rec in (r for f in (cut / domain).glob("*.jsonl") for r in _jsonl(f)):
            for name, ts in _timestamps(rec):
                assert ts <= NOW, (domain, name, rec)
                seen[domain, name] += 1
            assert _ts(rec["occurred_at"]) + _window(rec) <= NOW, rec  # a usage minute is reported once over
    for row in (r for f in (cut / "cost").glob("*.csv") for r in csv.DictReader(f.read_text().splitlines())):
        for name, ts in _timestamps({k: v for k, v in row.items() if k not in PERIOD_BOUNDS}):
            assert ts <= NOW, ("cost", name, row)
            seen["cost", name] += 1
    # the timestamps of every kind were there to check, the day of NOW included
    expected = {("delivery", "started_at"), ("delivery", "committed_at"), ("cost", "ChargePeriodEnd")}
    assert expected | {(d, "occurred_at") for d in JSONL_DOMAINS} <= set(seen)
    for domain in ("usage", "audit", "delivery"):
        assert _jsonl(cut / domain / f"{END}.jsonl"), f"{domain}: nothing before now on the day of now"


def test_data_generated_mid_day_is_the_full_day_s_data_up_to_then(small, records, cut):
    for domain in JSONL_DOMAINS:
        cut_records = [r for f in sorted((cut / domain).glob("*.jsonl")) for r in _jsonl(f)]
        over = [r for r in records[domain] if _ts(r["occurred_at"]) + _window(r) < NOW]
        assert cut_records == over, domain


def _window(rec: dict) -> timedelta:
    return timedelta(seconds=rec.get("window_seconds", 0))


# Contract conformance


def _check(f: Field, value: object, textual: bool = False) -> None:
    """Assert ``value`` is valid for the field (CSV values are text)."""
    if f.kind in ("string", "text", "enum", "ip", "timestamp"):
        assert isinstance(value, str) and value, (f.name, value)
    if f.kind == "enum":
        assert value in f.values, (f.name, value)
    elif f.kind == "ip":
        ipaddress.ip_address(value)
    elif f.kind == "timestamp":
        parsed = datetime.fromisoformat(value)
        assert (parsed.tzinfo is None) if textual else value.endswith("Z"), (f.name, value)
    elif f.kind in ("integer", "number"):
        number = float(value) if textual else value
        if not textual:
            assert type(value) is int or (f.kind == "number" and type(value) is float), (f.name, value)
        assert math.isfinite(number)
        assert f.minimum is None or number >= f.minimum, (f.name, value)
        assert f.maximum is None or number <= f.maximum, (f.name, value)
    elif f.kind == "boolean":
        assert type(value) is bool, (f.name, value)
    elif f.kind == "json":
        parsed = json.loads(value) if textual else value
        assert isinstance(parsed, dict | list), (f.name, value)


@pytest.mark.parametrize("domain", JSONL_DOMAINS)
def test_jsonl_records_satisfy_their_contract(records, domain):
    contract = CONTRACTS[domain]
    known = {f.input_name for f in contract.fields}
    for rec in records[domain]:
        assert set(rec) <= known, set(rec) - known
        kind = rec.get(contract.record_type_field) if contract.record_type_field else None
        for f in contract.fields:
            value = rec.get(f.input_name)
            if f.required or kind in f.required_for:
                assert value is not None, (f.name, rec)
            if value is not None:
                _check(f, value)


def test_cost_rows_satisfy_the_focus_contract(cost_rows):
    for row in cost_rows:
        for f in COST_FIELDS:
            value = None if row[f.input_name] == "NULL" else row[f.input_name]
            if f.required:
                assert value is not None, (f.name, row)
            if value is not None:
                _check(f, value, textual=True)
    content = [tuple(r.values()) for r in cost_rows]
    assert len(content) == len(set(content))  # ids derive from content: no two rows alike


# Coherence


def test_usage_and_cost_belong_to_the_generated_tenants(records, cost_rows):
    tenants = _tenants(records)
    assert len(tenants) == SMALL["tenants"] and "t-platform" not in tenants
    assert {r["tenant_id"] for r in records["usage"]} == tenants
    assert {r["tenant_id"] for r in records["audit"]} <= tenants
    assert {r["tenant_id"] for r in records["incident"]} <= tenants
    assert {r["tenant_id"] for r in records["delivery"]} == {"t-platform"}
    tagged = Counter(
        json.loads(r["Tags"]).get("tenant", "shared") if r["Tags"] != "NULL" else None for r in cost_rows
    )
    assert set(tagged) - {"shared", None} <= tenants
    assert tagged["shared"] and tagged[None] and set(tagged) & tenants


def test_usage_windows_are_minutes_with_cumulative_latency_buckets(records):
    keys = set()
    for r in records["usage"]:
        assert r["occurred_at"].endswith(":00Z") and r["window_seconds"] == 60
        assert 0 <= r["errors"] <= r["requests"]
        assert r["latency_le_100ms"] <= r["latency_le_300ms"] <= r["latency_le_1000ms"] <= r["requests"]
        assert r["latency_ms_p50"] <= r["latency_ms_p95"]
        keys.add((r["tenant_id"], r["user_id"], r["service"], r["feature"], r["occurred_at"]))
    assert len(keys) == len(records["usage"])


def test_production_deployments_ship_merged_pull_requests_of_their_repository(records):
    delivery = records["delivery"]
    merged = {
        r["pr_id"]: r for r in delivery if r["record_type"] == "pull_request" and r["pr_action"] == "merged"
    }
    deployments = [r for r in delivery if r["record_type"] == "deployment"]
    production = [d for d in deployments if d["environment"] == "production"]
    assert production and merged
    shipped, last = set(), {}
    for d in deployments:
        assert _ts(d["started_at"]) < _ts(d["occurred_at"])
        for pr_id in d["pr_ids"]:
            pr = merged[pr_id]
            assert pr["repository"] == d["repository"]
            assert _ts(pr["occurred_at"]) < _ts(d["started_at"])
    for d in production:
        if d["deployment_status"] == "success":
            shipped.update(d["pr_ids"])
            last[d["repository"]] = max(last.get(d["repository"], ""), d["started_at"])
    due = [p for p, pr in merged.items() if pr["occurred_at"] < last.get(pr["repository"], "")]
    assert due and set(due) <= shipped


def test_merged_pull_requests_carry_earlier_commits(records):
    opened = {}
    for r in records["delivery"]:
        if r["record_type"] != "pull_request":
            continue
        if r["pr_action"] == "opened":
            opened[r["pr_id"]] = r["occurred_at"]
        if r["pr_action"] == "merged":
            assert r["commits"] and r["merge_commit_sha"]
            first = opened.get(r["pr_id"], r["occurred_at"])
            assert all(c["committed_at"] < first for c in r["commits"])
        if r["pr_action"] in ("opened", "merged", "closed"):
            assert "reviewer_id" not in r
    reviews = [r for r in records["delivery"] if r.get("pr_action") == "approved"]
    assert sum(r["reviewer_id"] != r["author_id"] for r in reviews) > 0.9 * len(reviews)


def test_incidents_follow_the_deployments_that_caused_them(records):
    production = {
        d["deployment_id"]: d
        for d in records["delivery"]
        if d["record_type"] == "deployment" and d["environment"] == "production"
    }
    lifecycle = defaultdict(list)
    for r in records["incident"]:
        lifecycle[r["incident_id"]].append(r)
    caused = 0
    for steps in lifecycle.values():
        statuses = [s["status"] for s in steps]
        times = [s["occurred_at"] for s in steps]
        resolved = ["resolved"] if "resolved" in statuses else []
        assert statuses == ["triggered"] + ["acknowledged"] * (len(statuses) - 1 - len(resolved)) + resolved
        assert not resolved or "acknowledged" in statuses
        assert times == sorted(times) and (len(times) == 1 or times[0] < times[1])
        cause = steps[0]["caused_by_deployment_id"]
        if cause:
            caused += 1
            assert production[cause]["occurred_at"] < times[0]
    assert 0 < caused < len(lifecycle)


def test_work_items_move_from_state_to_state(records):
    last: dict[str, str | None] = {}
    for r in records["delivery"]:
        if r["record_type"] != "work_item":
            continue
        if r["work_item_id"] in last:
            assert r["from_state"] == last[r["work_item_id"]]
        last[r["work_item_id"]] = r["to_state"]
    states = {"backlog", "analyzing", "ready", "in_progress", "blocked", "in_review", "testing", "done"}
    assert set(last.values()) <= states


def test_terminated_users_are_disabled_after_termination(records):
    audit = records["audit"]
    terminated = {r["target_user_id"]: r["occurred_at"] for r in audit if r["action"] == "user.terminate"}
    for r in audit:
        if r["action"] == "user.disable":
            assert r["target_user_id"] in terminated and r["occurred_at"] > terminated[r["target_user_id"]]
    logins = [r for r in audit if r["action"] == "auth.login" and r["outcome"] == "success"]
    assert 0.9 < sum(r["mfa_used"] for r in logins) / len(logins) < 1.0


def test_usage_errors_burst_during_incidents(medium):
    out = medium["out"]
    windows = defaultdict(list)
    steps = defaultdict(dict)
    for path in sorted((out / "incident").glob("*.jsonl")):
        for r in _jsonl(path):
            steps[r["incident_id"]].setdefault(r["status"], r)
    for s in steps.values():
        t = s.get("triggered")
        if t and t["severity"] in ("sev1", "sev2") and "resolved" in s:
            end = min(_ts(s["resolved"]["occurred_at"]), _ts(t["occurred_at"]) + timedelta(hours=1))
            windows[t["tenant_id"], t["service"]].append((t["occurred_at"], f"{end:%Y-%m-%dT%H:%M:%SZ}"))
    inside, outside = [0, 0], [0, 0]
    for path in sorted((out / "usage").glob("*.jsonl")):
        for r in _jsonl(path):
            spans = windows.get((r["tenant_id"], r["service"]), ())
            bucket = inside if any(a <= r["occurred_at"] <= b for a, b in spans) else outside
            bucket[0] += r["requests"]
            bucket[1] += r["errors"]
    assert inside[0] and outside[0]
    assert inside[1] / inside[0] > 10 * outside[1] / outside[0], (inside, outside)


def test_dedicated_compute_cost_follows_usage(medium):
    out = medium["out"]
    units, cost = defaultdict(float), defaultdict(float)
    for path in sorted((out / "usage").glob("*.jsonl")):
        for r in _jsonl(path):
            units[r["tenant_id"], r["occurred_at"][:10]] += r["compute_units"]
    for path in sorted((out / "cost").glob("*.csv")):
        for row in csv.DictReader(path.read_text().splitlines()):
            tags = json.loads(row["Tags"]) if row["Tags"] != "NULL" else {}
            if "tenant" in tags and row["ResourceType"] == "instance":
                cost[tags["tenant"], row["ChargePeriodStart"][:10]] += float(row["EffectiveCost"])
    biggest = max({t for t, _ in cost}, key=lambda t: sum(v for (u, _), v in cost.items() if u == t))
    days = sorted(d for t, d in cost if t == biggest)
    x, y = [units[biggest, d] for d in days], [cost[biggest, d] for d in days]
    mx, my = sum(x) / len(x), sum(y) / len(y)
    covariance = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    r = covariance / math.sqrt(sum((a - mx) ** 2 for a in x) * sum((b - my) ** 2 for b in y))
    assert r > 0.85, r


def test_memory_stays_flat(medium):
    assert sum(medium["counts"].values()) == pytest.approx(300_000, rel=0.03)
    assert medium["growth"] < 150 * 2**20
    assert medium["worker"] < 100 * 2**20  # a worker holds a day; it must not copy the parent process
