"""The SLO marts recomputed a second way, in Python, from the staging usage rows of the built lake: daily SLIs,
burn rates and rolling budgets; alert episodes by evaluating every minute; and incremental builds against a
full refresh."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from fractions import Fraction

import pytest

MINUTE = dt.timedelta(minutes=1)
SLO_MODELS = ("int_usage_minutes_aggregated", "int_slo_burn_rates_evaluated", "slo_daily", "slo_burn_alerts")
RELATIONS = (
    "intermediate.int_usage_minutes_aggregated",
    "intermediate.int_slo_burn_rates_evaluated",
    "marts.slo_daily",
    "marts.slo_burn_alerts",
)
# (rule, severity, long window, short window, burn rate threshold), in minutes, SRE Workbook ch. 5
RULES = (
    ("1h/5m", "page", 60, 5, Fraction("14.4")),
    ("6h/30m", "page", 360, 30, Fraction(6)),
    ("3d/6h", "ticket", 4320, 360, Fraction(1)),
)


@pytest.fixture(scope="module")
def objectives(built_lake) -> dict[tuple[str, str], dict]:
    rows = built_lake.dicts("select * from seeds.slo_objectives")
    return {(r["service"], r["sli"]): r for r in rows}


@pytest.fixture(scope="module")
def minutes(built_lake, objectives) -> dict[tuple[str, str, str], dict[dt.datetime, tuple[int, int]]]:
    """(tenant, service, sli) -> minute -> (valid, bad) requests, from the staging usage windows."""
    bound = {100: "latency_le_100ms", 300: "latency_le_300ms", 1000: "latency_le_1000ms"}
    out: dict = defaultdict(lambda: defaultdict(lambda: (0, 0)))
    rows = built_lake.dicts(
        "select tenant_id, service, occurred_at, requests, errors, latency_le_100ms, latency_le_300ms, "
        "latency_le_1000ms from staging.stg_silver__usage_events"
    )
    for r in rows:
        minute = r["occurred_at"].replace(second=0, microsecond=0)
        series = out[(r["tenant_id"], r["service"], "availability")]
        valid, bad = series[minute]
        series[minute] = (valid + r["requests"], bad + r["errors"])
        if r["latency_le_1000ms"] is not None:
            fast = r[bound[objectives[(r["service"], "latency")]["latency_threshold_ms"]]]
            series = out[(r["tenant_id"], r["service"], "latency")]
            valid, bad = series[minute]
            series[minute] = (valid + r["requests"], bad + r["requests"] - fast)
    return out


def test_every_service_in_the_usage_has_both_objectives(built_lake, objectives):
    services = {
        r[0] for r in built_lake.query("select distinct service from staging.stg_silver__usage_events")
    }
    assert services
    for service in services:
        assert (service, "availability") in objectives
        assert objectives[(service, "latency")]["latency_threshold_ms"] in (100, 300, 1000)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_slo_daily_matches_a_recomputation_from_staging(built_lake, objectives, minutes):
    daily: dict = defaultdict(lambda: [0, 0])  # (tenant, service, sli, day) -> [valid, bad]
    for (tenant, service, sli), series in minutes.items():
        for minute, (valid, bad) in series.items():
            counts = daily[(tenant, service, sli, minute.date())]
            counts[0] += valid
            counts[1] += bad
    last_day = max(day for *_, day in daily)
    first_used = {}
    for tenant, service, _, day in daily:
        first_used[(tenant, service)] = min(day, first_used.get((tenant, service), day))

    mart = {
        (r["tenant_id"], r["service"], r["day"]): r for r in built_lake.dicts("select * from marts.slo_daily")
    }
    expected_keys = {
        (tenant, service, first + dt.timedelta(days=i))
        for (tenant, service), first in first_used.items()
        for i in range((last_day - first).days + 1)
    }
    assert set(mart) == expected_keys  # one row per day from first use, days without requests included

    checked_zero_days = 0
    for (tenant, service, day), row in mart.items():
        for sli in ("availability", "latency"):
            objective = objectives[(service, sli)]
            budget = 1 - float(objective["objective"])
            valid, bad = daily.get((tenant, service, sli, day), (0, 0))
            window = [day - dt.timedelta(days=i) for i in range(objective["window_days"])]
            window_valid = sum(daily.get((tenant, service, sli, d), (0, 0))[0] for d in window)
            window_bad = sum(daily.get((tenant, service, sli, d), (0, 0))[1] for d in window)
            sli_value = (valid - bad) / valid if valid else None
            burn = bad / valid / budget if valid else None
            remaining = 1 - window_bad / window_valid / budget if window_valid else None
            assert _close(row[f"{sli}_sli"], sli_value), (tenant, service, day, sli)
            assert _close(row[f"{sli}_burn_rate"], burn), (tenant, service, day, sli)
            assert _close(row[f"{sli}_budget_remaining"], remaining), (tenant, service, day, sli)
        assert row["requests"] == daily.get((tenant, service, "availability", day), (0, 0))[0]
        if row["requests"] == 0:
            checked_zero_days += 1
            assert row["availability_sli"] is None and row["latency_sli"] is None
    assert checked_zero_days > 0, "the small lake should have days on which a tenant did not use a service"


def _episodes(
    series: dict[dt.datetime, tuple[int, int]], objective: Fraction, last_minute: dt.datetime
) -> list:
    """Alert episodes of one series by evaluating every minute from its first usage to the last minute of usage."""
    first = min(series)
    count = int((last_minute - first) / MINUTE) + 1
    cum_valid, cum_bad = [0], [0]
    for i in range(count):
        valid, bad = series.get(first + i * MINUTE, (0, 0))
        cum_valid.append(cum_valid[-1] + valid)
        cum_bad.append(cum_bad[-1] + bad)
    budget = 1 - objective

    def window(i: int, length: int) -> tuple[int, int]:
        start = max(0, i + 1 - length)
        return cum_valid[i + 1] - cum_valid[start], cum_bad[i + 1] - cum_bad[start]

    episodes = []
    for rule, severity, long, short, threshold in RULES:
        current = None
        for i in range(count):
            (lv, lb), (sv, sb) = window(i, long), window(i, short)
            # exact: bad / valid / budget > threshold
            holds = lv > 0 and sv > 0 and lb > threshold * budget * lv and sb > threshold * budget * sv
            at = first + (i + 1) * MINUTE
            if holds:
                long_burn, short_burn = lb / lv / float(budget), sb / sv / float(budget)
                if current is None:
                    current = {"rule": rule, "severity": severity, "fired_at": at, "resolved_at": None,
                               "fired_long_window_valid_requests": lv, "fired_long_window_bad_requests": lb,
                               "peak_long_window_burn_rate": long_burn, "peak_short_window_burn_rate": short_burn}  # fmt: skip
                    episodes.append(current)
                current["peak_long_window_burn_rate"] = max(current["peak_long_window_burn_rate"], long_burn)
                current["peak_short_window_burn_rate"] = max(
                    current["peak_short_window_burn_rate"], short_burn
                )
            elif current is not None:
                current["resolved_at"] = at
                current = None
    return episodes


def test_alert_episodes_match_an_every_minute_evaluation(built_lake, objectives, minutes):
    alerts = built_lake.dicts("select * from marts.slo_burn_alerts")
    assert {a["severity"] for a in alerts} == {"page", "ticket"}
    last_minute = max(m for series in minutes.values() for m in series)
    per_series: dict = defaultdict(list)
    for a in alerts:
        per_series[(a["tenant_id"], a["service"], a["sli"])].append(a)
    # the series with the most episodes of each SLI, and two quiet ones (which may have none)
    busiest = [
        max((k for k in minutes if k[2] == sli), key=lambda k: len(per_series.get(k, [])))
        for sli in ("availability", "latency")
    ]
    quiet = sorted(minutes, key=lambda k: (len(per_series.get(k, [])), k))[:2]
    for key in {*busiest, *quiet}:
        objective = Fraction(str(objectives[key[1:]]["objective"]))
        expected = _episodes(minutes[key], objective, last_minute)
        actual = sorted(per_series.get(key, []), key=lambda a: (a["rule"], a["fired_at"]))
        expected.sort(key=lambda e: (e["rule"], e["fired_at"]))
        assert len(actual) == len(expected), key
        for a, e in zip(actual, expected, strict=True):
            for column, value in e.items():
                if isinstance(value, float):
                    assert _close(a[column], value), (key, column, a, e)
                else:
                    assert a[column] == value, (key, column, a, e)
    assert any(per_series.get(k) for k in busiest)


def test_availability_pages_fire_during_incidents(built_lake):
    """Incidents raise the error ratio of the tenant's service minutes they hit: pages cluster in them."""
    rows = built_lake.query(
        """
        with incidents as (
            select tenant_id, service, triggered_at, coalesce(resolved_at, triggered_at + interval 1 day) as ended_at
            from intermediate.int_incidents_rolled_up
            where severity in ('sev1', 'sev2')
        ),
        pages as (
            select * from marts.slo_burn_alerts where sli = 'availability' and severity = 'page'
        )
        select
            count(*) as pages,
            count(*) filter (
                where exists (
                    select 1 from incidents
                    where incidents.service = pages.service
                        and pages.fired_at between incidents.triggered_at - interval 30 minute and incidents.ended_at
                )
            ) as during_incidents
        from pages
        """
    )
    pages, during = rows[0]
    span = built_lake.query(
        """
        select sum(least(date_diff('minute', triggered_at - interval 30 minute,
                                   coalesce(resolved_at, triggered_at + interval 1 day)), 1440 * 90))
               / (count(distinct service) * 1.0),
               (select date_diff('minute', min(occurred_at), max(occurred_at)) from staging.stg_silver__usage_events)
        from intermediate.int_incidents_rolled_up where severity in ('sev1', 'sev2')
        """
    )[0]
    assert pages > 0
    # share of a service's time under a sev1/sev2 incident (an upper bound, overlaps counted twice)
    covered = float(span[0]) / span[1]
    assert during / pages > 2 * covered, (pages, during, covered)


def _snapshot(built_lake) -> dict[str, list[tuple]]:
    return {relation: built_lake.query(f"select * from {relation} order by all") for relation in RELATIONS}


def _run(built_lake, *args: str) -> None:
    results = built_lake.dbt("run", "--select", *SLO_MODELS, *args)
    models = [r["status"] for r in results if r["unique_id"].startswith("model.")]
    assert models == ["success"] * len(SLO_MODELS), results


def test_incremental_builds_equal_a_full_refresh(built_lake):
    """Replay the lake as it was mid-day four days before its end, then add days in two incremental runs."""
    full = _snapshot(built_lake)
    last_day = built_lake.query("select max(event_date) from staging.stg_silver__usage_events")[0][0]
    try:
        first_cut = f"{last_day - dt.timedelta(days=4)} 13:37:00+00"
        _run(built_lake, "--full-refresh", "--vars", f"{{slo_usage_before: '{first_cut}'}}")
        built = built_lake.query("select max(minute) from intermediate.int_usage_minutes_aggregated")[0][0]
        assert built < dt.datetime.fromisoformat(first_cut)
        _run(built_lake, "--vars", f"{{slo_usage_before: '{last_day - dt.timedelta(days=1)} 06:00:00+00'}}")
        _run(built_lake)
        incremental = _snapshot(built_lake)
        for relation in RELATIONS:
            assert incremental[relation] == full[relation], relation
    finally:
        if _snapshot(built_lake) != full:  # leave the shared warehouse as the other tests expect it
            _run(built_lake, "--full-refresh")
