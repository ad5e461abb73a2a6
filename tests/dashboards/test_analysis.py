"""The pages' computations on hand-worked examples: volume anomalies, the lineage walk, time to budget exhaustion."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from dashboards import analysis

DAY = dt.date(2026, 11, 1)


def _volume(counts: list[int], start: dt.date = DAY, domain: str = "audit") -> list[tuple]:
    return [(domain, start + dt.timedelta(days=i), c) for i, c in enumerate(counts)]


def test_a_day_is_scored_against_the_median_and_mad_of_the_days_before_it():
    rows = _volume([10, 12, 10, 12, 10, 12, 10, 11, 50, 10]) + _volume([5] * 3, domain="cost")
    frame = pl.DataFrame(rows, schema=["domain", "day", "records"], orient="row")
    scored = {(r["domain"], r["day"]): r for r in analysis.anomalies(frame).iter_rows(named=True)}
    # fewer than 7 days of history: not judged
    assert all(scored[("audit", DAY + dt.timedelta(days=i))]["z"] is None for i in range(7))
    assert all(scored[("cost", DAY + dt.timedelta(days=i))]["z"] is None for i in range(3))
    # day 8: history 10,12,10,12,10,12,10 -> median 10, MAD 0 (taken as 1) -> z = 1
    eighth = scored[("audit", DAY + dt.timedelta(days=7))]
    assert (eighth["expected"], eighth["z"]) == (10, 1)
    # day 9: history adds 11 -> median 10.5; deviations 0.5 x5, 1.5 x3 -> MAD 0.5 * 1.4826; z = 39.5 / 0.7413
    ninth = scored[("audit", DAY + dt.timedelta(days=8))]
    assert ninth["expected"] == 10.5
    assert ninth["z"] == pytest.approx(39.5 / (0.5 * 1.4826))
    assert abs(ninth["z"]) > analysis.ANOMALY_Z > abs(eighth["z"])


def test_history_older_than_the_trailing_window_does_not_count():
    rows = _volume([100] * 10) + [("audit", DAY + dt.timedelta(days=40), 1)]
    frame = pl.DataFrame(rows, schema=["domain", "day", "records"], orient="row")
    last = analysis.anomalies(frame).filter(pl.col("day") == DAY + dt.timedelta(days=40))
    assert last["z"].to_list() == [None]  # 40 days on, nothing is within 28 days: not judged, not an anomaly


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
