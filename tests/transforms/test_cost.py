"""The cost showback and tenant usage marts, recomputed a second way in Python from the staging rows of the test lake.

The allocation is redone with exact decimals: tags classified with the seed read as CSV, shared cost split by
each tenant's share of the month's compute units. The marts round to cents by largest remainder, so every
allocated amount is within one cent of the exact figure and each month's total equals the bill to the cent.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest

from opslake.settings import PROJECT_ROOT

SEED = PROJECT_ROOT / "transforms" / "seeds" / "cost" / "cost_tag_tenants.csv"
MONTHLY = "marts.cost_allocation_monthly"
DAILY = "marts.cost_daily"
TENANTS = "marts.tenant_usage_monthly"
MEASURES = ("billed", "effective", "list")
CENT = Decimal("0.01")


def dec(value: float | Decimal | None) -> Decimal:
    """A float read from DuckDB as the decimal it was written as (shortest repr)."""
    if value is None:
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(repr(value))


def month_of(ts: dt.datetime | dt.date) -> dt.date:
    if isinstance(ts, dt.datetime):
        ts = ts.astimezone(dt.UTC)
    return dt.date(ts.year, ts.month, 1)


def classify(tags: str | None, rules: dict[tuple[str, str], tuple[str, str]], tenant_keys: set[str]) -> str:
    """The tenant a line item is direct cost of, ``shared``, or ``unallocated``."""
    parsed = json.loads(tags) if tags else None
    if not isinstance(parsed, dict) or not parsed:
        return "unallocated"
    named, unknown, shared = set(), 0, False
    for key, value in parsed.items():
        value = str(value).strip() if value is not None else ""
        if not value:
            continue
        rule = rules.get((key, value))
        if rule and rule[1] == "direct":
            named.add(rule[0])
        elif rule and rule[1] == "shared":
            shared = True
        elif key in tenant_keys:
            unknown += 1
    if len(named) == 1 and not unknown:
        return named.pop()
    if not named and not unknown and shared:
        return "shared"
    return "unallocated"


@pytest.fixture(scope="module")
def seed() -> tuple[dict[tuple[str, str], tuple[str, str]], set[str]]:
    with SEED.open(newline="") as f:
        rows = list(csv.DictReader(f))
    rules = {(r["tag_key"], r["tag_value"]): (r["tenant_id"], r["allocation_class"]) for r in rows}
    return rules, {r["tag_key"] for r in rows if r["allocation_class"] == "direct"}


@pytest.fixture(scope="module")
def line_items(built_lake, seed) -> list[dict]:
    rules, tenant_keys = seed
    rows = built_lake.dicts(
        "select event_id, billing_period_start, charge_period_start, billing_currency, service_name, "
        "tags::varchar as tags, billed_cost, effective_cost, list_cost from staging.stg_silver__cost_line_items"
    )
    for r in rows:
        r["month"] = month_of(r["billing_period_start"] or r["charge_period_start"])
        r["owner"] = classify(r["tags"], rules, tenant_keys)
        r["billed"], r["effective"], r["list"] = (dec(r[f"{m}_cost"]) for m in MEASURES)
    return rows


@pytest.fixture(scope="module")
def usage(built_lake) -> dict[tuple[str, dt.date], dict]:
    """Usage per (tenant, month): requests, compute and quota units, human users and service accounts."""
    service = {
        r[0]
        for r in built_lake.query(
            "select distinct actor_id from staging.stg_silver__audit_events where actor_type = 'service'"
        )
    }
    out: dict[tuple[str, dt.date], dict] = defaultdict(
        lambda: {"requests": 0, "compute": Decimal(0), "quota": Decimal(0), "users": set(), "services": set()}
    )
    for tenant, user, occurred_at, requests, compute, quota in built_lake.query(
        "select tenant_id, user_id, occurred_at, requests, compute_units, quota_units "
        "from staging.stg_silver__usage_events"
    ):
        u = out[tenant, month_of(occurred_at)]
        u["requests"] += requests
        u["compute"] += dec(compute)
        u["quota"] += dec(quota)
        if requests > 0:
            (u["services"] if user in service else u["users"]).add(user)
    return dict(out)


@pytest.fixture(scope="module")
def exact(line_items, usage) -> dict[tuple[str, dt.date], dict[str, Decimal]]:
    """Exact showback per (tenant, month): direct_/shared_/unallocated_ x billed/effective/list."""
    out: dict[tuple[str, dt.date], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    pools: dict[dt.date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for r in line_items:
        for m in MEASURES:
            if r["owner"] == "shared":
                pools[r["month"]][m] += r[m]
            elif r["owner"] == "unallocated":
                out["unallocated", r["month"]][f"unallocated_{m}"] += r[m]
            else:
                out[r["owner"], r["month"]][f"direct_{m}"] += r[m]
    for month, pool in pools.items():
        compute = {t: u["compute"] for (t, mo), u in usage.items() if mo == month}
        total = sum(compute.values(), Decimal(0))
        for m, amount in pool.items():
            if total == 0:
                out["unallocated", month][f"unallocated_{m}"] += amount
                continue
            for tenant, units in compute.items():
                out[tenant, month][f"shared_{m}"] += amount * units / total
    return {key: dict(values) for key, values in out.items()}


@pytest.fixture(scope="module")
def monthly(built_lake) -> dict[tuple[str, dt.date], dict]:
    return {(r["tenant_id"], r["month"]): r for r in built_lake.dicts(f"select * from {MONTHLY}")}


def test_allocated_totals_reconcile_to_the_bill_to_the_cent(line_items, monthly):
    bill: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    for r in line_items:
        for m in MEASURES:
            bill[r["month"], m] += r[m]
    allocated: dict[tuple[dt.date, str], Decimal] = defaultdict(Decimal)
    for (_, month), row in monthly.items():
        for m in MEASURES:
            allocated[month, m] += row[f"allocated_{m}_cost"]
    assert {month for month, _ in bill} == {month for _, month in monthly}
    assert len(bill) >= 9  # three months (Aug partial, Sep, Oct) x three measures
    for key, amount in bill.items():
        assert allocated[key] == amount.quantize(CENT, rounding=ROUND_HALF_UP), key
    currencies = {r["billing_currency"] for r in line_items}
    assert {r["billing_currency"] for r in monthly.values()} == currencies == {"USD"}


def test_every_tenant_month_is_within_a_cent_of_the_exact_showback(exact, monthly, usage):
    # every tenant with usage, and the unallocated bucket, has a row in every billed month
    for tenant, month in usage:
        if any(mo == month for _, mo in monthly):
            assert (tenant, month) in monthly
    assert {("unallocated", month) for _, month in monthly} <= set(monthly)
    for key, row in monthly.items():
        want = exact.get(key, {})
        for m in MEASURES:
            parts = [want.get(f"{part}_{m}", Decimal(0)) for part in ("direct", "shared", "unallocated")]
            assert abs(row[f"allocated_{m}_cost"] - sum(parts)) < CENT, (key, m)
            for part, amount in zip(("direct", "shared", "unallocated"), parts, strict=True):
                assert abs(row[f"{part}_{m}_cost"] - amount) < CENT, (key, part, m)


def test_one_tenant_month_showback_worked_out(line_items, usage, monthly):
    """The biggest tenant's October, step by step: its direct rows plus its share of the shared rows."""
    october = dt.date(2026, 10, 1)
    tenant = max((t for (t, mo) in usage if mo == october), key=lambda t: usage[t, october]["compute"])
    rows = [r for r in line_items if r["month"] == october]
    direct = sum((r["effective"] for r in rows if r["owner"] == tenant), Decimal(0))
    shared = sum((r["effective"] for r in rows if r["owner"] == "shared"), Decimal(0))
    total_compute = sum((u["compute"] for (_, mo), u in usage.items() if mo == october), Decimal(0))
    share = usage[tenant, october]["compute"] / total_compute
    expected = direct + shared * share
    row = monthly[tenant, october]
    assert direct > 0 and shared > 0 and 0 < share < 1
    assert abs(row["allocated_effective_cost"] - expected) < CENT
    assert abs(Decimal(repr(row["compute_unit_share"])) - share) < Decimal("1e-12")
    requests = usage[tenant, october]["requests"]
    users = len(usage[tenant, october]["users"])
    assert row["requests"] == requests and row["active_users"] == users
    per_1k = row["allocated_effective_cost"] * 1000 / requests
    assert abs(row["effective_cost_per_1k_requests"] - per_1k) <= Decimal("0.000001")
    per_user = row["allocated_effective_cost"] / users
    assert abs(row["effective_cost_per_active_user"] - per_user) <= Decimal("0.000001")


def test_unallocated_bucket_holds_the_untagged_bill(line_items, monthly):
    for (tenant, month), row in monthly.items():
        if tenant != "unallocated":
            assert row["unallocated_billed_cost"] == 0 and row["unallocated_reasons"] is None
            continue
        untagged = sum(
            (r["billed"] for r in line_items if r["month"] == month and r["owner"] == tenant), Decimal(0)
        )
        assert abs(row["unallocated_billed_cost"] - untagged) < CENT
        assert row["direct_billed_cost"] == row["shared_billed_cost"] == 0
        assert "untagged" in row["unallocated_reasons"]  # tax, credits and fees carry no tags


def test_unit_economics_are_null_without_a_divisor(monthly):
    for row in monthly.values():
        if not row["requests"]:
            assert row["effective_cost_per_1k_requests"] is None
        if not row["active_users"]:
            assert row["effective_cost_per_active_user"] is None


def test_daily_cost_adds_up_to_the_monthly_allocation(built_lake, monthly):
    daily: dict[tuple[str, dt.date], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for tenant, day, billed, effective in built_lake.query(
        f"select tenant_id, day, billed_cost, effective_cost from {DAILY}"
    ):
        daily[tenant, month_of(day)]["billed"] += billed
        daily[tenant, month_of(day)]["effective"] += effective
    for key, sums in daily.items():
        row = monthly[key]
        # daily amounts carry 6 decimals; the monthly statement is in cents by largest remainder
        assert abs(sums["billed"] - row["allocated_billed_cost"]) < CENT + Decimal("0.001"), key
        assert abs(sums["effective"] - row["allocated_effective_cost"]) < CENT + Decimal("0.001"), key


def test_tenant_usage_monthly_matches_usage_quota_and_cost(built_lake, usage, monthly):
    quotas = {}  # the latest successful renewal of each month, as the silver table holds its fields
    for tenant, occurred_at, plan, quota in built_lake.query(
        "select tenant_id, occurred_at, plan, monthly_quota_units from silver.audit "
        "where action = 'subscription.renew' and outcome = 'success' order by occurred_at, event_id"
    ):
        quotas[tenant, month_of(occurred_at)] = (plan, quota)
    assert quotas and all(plan and quota for plan, quota in quotas.values())  # the demo sends both
    rows = built_lake.dicts(f"select * from {TENANTS}")
    assert {(r["tenant_id"], r["month"]) for r in rows} == set(usage) | set(quotas) | {
        k for k in monthly if k[0] != "unallocated"
    }
    for r in rows:
        key = (r["tenant_id"], r["month"])
        u = usage.get(key)
        assert r["requests"] == (u["requests"] if u else 0)
        assert r["compute_units"] == (u["compute"] if u else 0)
        assert r["active_users"] == (len(u["users"]) if u else 0)
        assert r["active_service_accounts"] == (len(u["services"]) if u else 0)
        plan, quota = quotas.get(key, (None, None))
        assert (r["plan"], r["monthly_quota_units"]) == (plan, quota)
        if quota:
            used = u["quota"] if u else Decimal(0)
            assert abs(Decimal(repr(r["quota_used_ratio"])) - used / quota) < Decimal("1e-12")
            assert r["is_over_quota"] == (used > quota)
        cost = monthly.get(key)
        assert r["allocated_billed_cost"] == (cost["allocated_billed_cost"] if cost else None)
        assert r["allocated_effective_cost"] == (cost["allocated_effective_cost"] if cost else None)
