"""The pages' computations on hand-worked examples: volume anomalies, the lineage walk, time to budget exhaustion."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dashboards import analysis

MONDAY = dt.date(2026, 11, 2)


def _weekdays(counts: list[int], domain: str = "audit") -> list[tuple]:
    """Consecutive weekdays from a Monday (weekends skipped), one count each."""
    days = [
        MONDAY + dt.timedelta(days=i)
        for i in range(3 * len(counts))
        if (MONDAY + dt.timedelta(days=i)).weekday() < 5
    ]
    return [(domain, day, c) for day, c in zip(days, counts, strict=False)]


def _scored(rows: list[tuple]) -> dict:
    frame = pl.DataFrame(rows, schema=["domain", "day", "records"], orient="row")
    return {(r["domain"], r["day"]): r for r in analysis.anomalies(frame).iter_rows(named=True)}


def test_a_day_is_scored_against_the_median_and_mad_of_the_days_before_it():
    rows = _weekdays([10, 12, 10, 11, 50, 10]) + _weekdays([5] * 3, domain="cost")
    scored = _scored(rows)
    days = [day for _, day, _ in rows[:6]]
    # fewer than 4 days of history: not judged
    assert [scored[("audit", d)]["z"] for d in days[:4]] == [None] * 4
    assert all(scored[("cost", day)]["z"] is None for _, day, _ in rows[6:])
    # the 5th weekday: history 10, 12, 10, 11 -> median 10.5; deviations 0.5, 1.5, 0.5, 0.5 -> MAD 0.5 * 1.4826
    fifth = scored[("audit", days[4])]
    assert fifth["expected"] == 10.5
    assert fifth["z"] == pytest.approx((50 - 10.5) / (0.5 * 1.4826))
    # the 6th: history 10, 12, 10, 11, 50 -> median 11; deviations 1, 1, 1, 0, 39 -> MAD 1 * 1.4826; z = -1 / 1.4826
    sixth = scored[("audit", days[5])]
    assert (sixth["expected"], sixth["z"]) == (11, pytest.approx(-1 / 1.4826))
    assert abs(fifth["z"]) > analysis.ANOMALY_Z > abs(sixth["z"])


def test_a_weekend_day_is_compared_with_weekend_days_only():
    """Four weekends of 100 and weekdays of 1,000: the fifth Saturday at 100 is normal, at 1,000 an anomaly."""
    start = dt.date(2026, 11, 2)  # a Monday
    days = [start + dt.timedelta(days=i) for i in range(34)]  # to the fifth Saturday, 2026-12-05
    for last, anomalous in ((100, False), (1000, True)):
        rows = [("usage", d, 100 if d.weekday() >= 5 else 1000) for d in days[:-1]] + [
            ("usage", days[-1], last)
        ]
        saturday = _scored(rows)[("usage", days[-1])]
        assert saturday["expected"] == 100  # the median of the 8 weekend days before it, not of every day
        assert (abs(saturday["z"]) > analysis.ANOMALY_Z) is anomalous


def test_history_older_than_the_trailing_window_does_not_count():
    rows = _weekdays([100] * 10) + [("audit", MONDAY + dt.timedelta(days=60), 1)]
    assert _scored(rows)[("audit", MONDAY + dt.timedelta(days=60))]["z"] is None  # nothing within 28 days


EDGES = pl.DataFrame(
    [
        ("landing.audit", "actor_email", "bronze.audit", "actor_email", "identity", "bronze/audit"),
        ("bronze.audit", "actor_email", "silver.audit", "actor_email", "pseudonymize", "silver/audit"),
        ("silver.audit", "actor_email", "marts.m", "actors", "aggregation", "model.m"),
        ("silver.audit", "tenant_id", "marts.m", "tenant_id", "identity", "model.m"),
        ("intermediate.t", "*", "marts.m", "score", "unknown", "model.m"),
        ("silver.usage", "requests", "intermediate.t", "requests", "aggregation", "model.t"),
        ("silver.usage", "units", "intermediate.t", "units", "identity", "model.t"),
        ("", "", "marts.m", "built", "constant", "model.m"),
    ],
    schema=["source", "source_column", "target", "target_column", "transformation", "via"],
    orient="row",
)


def _walk(table: str, column: str) -> set[tuple]:
    found = analysis.upstream_edges(EDGES, table, column)
    return {
        (r["depth"], r["source"], r["source_column"], r["target_column"]) for r in found.iter_rows(named=True)
    }


def test_the_lineage_walk_reaches_landing_through_the_masking_step():
    assert _walk("marts.m", "actors") == {
        (1, "silver.audit", "actor_email", "actors"),
        (2, "bronze.audit", "actor_email", "actor_email"),
        (3, "landing.audit", "actor_email", "actor_email"),
    }


def test_a_table_level_edge_brings_in_every_column_of_its_source():
    assert _walk("marts.m", "score") == {
        (1, "intermediate.t", "*", "score"),
        (2, "silver.usage", "requests", "requests"),
        (2, "silver.usage", "units", "units"),
    }
    assert _walk("marts.m", "built") == set()  # a constant has no upstream


@pytest.mark.parametrize(
    ("remaining", "burn", "expected"),
    [
        (
            0.5,
            2.0,
            "7.5 d",
        ),  # half the budget of 30 days at twice the sustainable rate: 0.5 * 720 h / 2 = 180 h
        (0.1, 14.4, "5.0 h"),  # 0.1 * 720 h / 14.4
        (0.01, 14.4, "30 min"),  # 0.01 * 720 h / 14.4 = 0.5 h
        (-0.2, 3.0, "exhausted"),
        (0.0, 3.0, "exhausted"),
        (0.4, 0.0, "not burning"),
        (None, 1.0, "–"),
        (0.4, None, "–"),
    ],
)
def test_time_to_budget_exhaustion_at_the_current_burn_rate(remaining, burn, expected):
    assert analysis.exhaustion(remaining, burn, 30) == expected
