"""The SAFe flow marts, recomputed a second way in plain Python from the staging rows of the built lake: team
flow (stories, enablers, defects, risks) per team and week, features per ART and week, epics per tenant and
month."""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import statistics
from collections import defaultdict

import pytest

from opslake.settings import PROJECT_ROOT

SEEDS = PROJECT_ROOT / "transforms" / "seeds" / "flow"
DAY = dt.timedelta(days=1)
DELIVERY_TABLES = (
    "stg_silver__work_item_transitions",
    "stg_silver__pull_request_events",
    "stg_silver__deployments",
    "stg_silver__pi_objectives",
    "stg_silver__pushes",
)


def seed(name: str, key: str, value: str) -> dict[str, str]:
    with (SEEDS / f"{name}.csv").open(newline="") as f:
        return {row[key]: row[value] for row in csv.DictReader(f)}


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def utc_date(ts: dt.datetime) -> dt.date:
    return ts.astimezone(dt.UTC).date()


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def p85(values: list[float]) -> float:
    """The 85th percentile by linear interpolation between the closest ranks."""
    return values[0] if len(values) == 1 else statistics.quantiles(values, n=20, method="inclusive")[16]


class Item:
    """One work item's history: its states in time order, with the item's start and final done."""

    def __init__(self, rows: list[dict], covered_from: dt.date, classes: dict[str, str]) -> None:
        rows = sorted(rows, key=lambda r: (r["occurred_at"], r["event_id"]))
        last = rows[-1]
        self.type, self.art, self.team = last["work_item_type"], last["art"], last["team"]
        self.complete = rows[0]["from_state"] is None
        timeline = [] if self.complete else [(midnight(covered_from), rows[0]["from_state"])]
        timeline += [(r["occurred_at"], r["to_state"]) for r in rows]
        self.times = [t for t, _ in timeline]
        self.states = [s for _, s in timeline]
        self.classes = [classes[s] for s in self.states]
        self.started = next((t for t, c in zip(self.times, self.classes, strict=True) if c == "active"), None)
        self.done_at = self.times[-1] if self.classes[-1] == "done" else None
        self.activity_days = {utc_date(r["occurred_at"]) for r in rows}

    def flow_time_days(self) -> float | None:
        if self.done_at is None or self.started is None or not self.complete:
            return None
        return (self.done_at - self.started).total_seconds() / 86400

    def active_days(self) -> float:
        """Time spent in active states, between each entry into one and the next transition."""
        spans = zip(self.times, self.times[1:], self.classes, strict=False)
        return sum((end - begin).total_seconds() for begin, end, c in spans if c == "active") / 86400

    @property
    def reopened(self) -> bool:
        return self.done_at is not None and "done" in self.classes[:-1]

    def in_progress_at(self, instant: dt.datetime) -> bool:
        """Started and not done, by the state after every transition strictly before ``instant``."""
        i = bisect.bisect_left(self.times, instant) - 1
        if i < 0 or self.started is None:
            return False
        return self.times[i] >= self.started and self.classes[i] != "done"


@pytest.fixture(scope="module")
def coverage(built_lake) -> dict[str, tuple[dt.date, dt.date]]:
    bounds: dict[str, list[dt.datetime]] = defaultdict(list)
    for table in DELIVERY_TABLES:
        for tenant, *times in built_lake.query(
            f"select tenant_id, min(occurred_at), max(occurred_at) from staging.{table} group by 1"
        ):
            bounds[tenant] += times
    return {t: (utc_date(min(ts)), utc_date(max(ts))) for t, ts in bounds.items()}


@pytest.fixture(scope="module")
def every_item(built_lake, coverage) -> dict[tuple[str, str], Item]:
    classes = seed("work_item_states", "state", "state_class")
    by_item: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in built_lake.dicts(
        "select event_id, tenant_id, work_item_id, work_item_type, art, team, from_state, to_state, occurred_at"
        " from staging.stg_silver__work_item_transitions"
    ):
        by_item[row["tenant_id"], row["work_item_id"]].append(row)
    return {key: Item(rows, coverage[key[0]][0], classes) for key, rows in by_item.items()}


@pytest.fixture(scope="module")
def items(every_item) -> dict[tuple[str, str], Item]:
    """Team-flow items: the types with a SAFe flow item type."""
    flow_types = seed("work_item_types", "work_item_type", "flow_item_type")
    return {key: item for key, item in every_item.items() if flow_types[item.type]}


def expected_series(groups: dict[tuple, list[Item]], coverage, period) -> dict[tuple, dict]:
    """Per group of items (a team, an ART, a portfolio) and period (``period`` maps a day to its start), from
    the period of the group's first transition to that of its last: the completions' velocity, reopened ones,
    flow time p50 and p85, efficiency, and the end-of-day WIP averaged over the covered days."""
    out: dict[tuple, dict] = {}
    for key, group in groups.items():
        tenant = key[0]
        active_days = set().union(*(i.activity_days for i in group))
        first, last = period(min(active_days)), period(max(active_days))
        covered_from, covered_to = coverage[tenant]
        wip: dict[dt.date, list[int]] = defaultdict(list)
        day = covered_from
        while day <= covered_to:
            if first <= period(day) <= last:
                end = midnight(day + DAY)
                wip[period(day)].append(sum(i.in_progress_at(end) for i in group))
            day += DAY
        for start, counts in wip.items():
            done = [i for i in group if i.done_at and period(utc_date(i.done_at)) == start]
            measured = [i for i in done if i.flow_time_days() is not None]
            flow_times = sorted(i.flow_time_days() for i in measured)
            out[(*key, start)] = {
                "velocity": len(done),
                "reopened": sum(i.reopened for i in done),
                "measured": len(measured),
                "p50": statistics.median(flow_times) if flow_times else None,
                "p85": p85(flow_times) if flow_times else None,
                "efficiency": sum(i.active_days() for i in measured) / sum(flow_times)
                if flow_times
                else None,
                "wip": sum(counts) / len(counts),
                "days": len(counts),
            }
    return out


@pytest.fixture(scope="module")
def expected_weeks(items, coverage) -> dict[tuple, dict]:
    """Team flow per team-week."""
    teams: dict[tuple[str, str, str], list[Item]] = defaultdict(list)
    for (tenant, _), item in items.items():
        teams[tenant, item.art, item.team].append(item)
    return expected_series(teams, coverage, monday)


@pytest.fixture(scope="module")
def expected_art_weeks(every_item, coverage) -> dict[tuple, dict]:
    """Features per ART-week, whatever their team."""
    arts: dict[tuple[str, str], list[Item]] = defaultdict(list)
    for (tenant, _), item in every_item.items():
        if item.type == "feature":
            arts[tenant, item.art].append(item)
    return expected_series(arts, coverage, monday)


@pytest.fixture(scope="module")
def expected_portfolio_months(every_item, coverage) -> dict[tuple, dict]:
    """Epics per tenant-month, whatever their ART and team."""
    portfolios: dict[tuple[str], list[Item]] = defaultdict(list)
    for (tenant, _), item in every_item.items():
        if item.type == "epic":
            portfolios[(tenant,)].append(item)
    return expected_series(portfolios, coverage, first_of_month)


def assert_matches(row: dict, expected: dict, key: tuple) -> None:
    """A mart row against the Python figures: counts exactly, averages and times to rounding."""
    assert row["flow_velocity"] == expected["velocity"], key
    assert row["reopened_completed"] == expected["reopened"], key
    assert row["flow_time_items"] == expected["measured"], key
    assert row["days_observed"] == expected["days"], key
    assert row["flow_load_avg_wip"] == pytest.approx(expected["wip"], abs=1e-9), key
    for column, name in (
        ("flow_time_p50_days", "p50"),
        ("flow_time_p85_days", "p85"),
        ("flow_efficiency", "efficiency"),
    ):
        if expected[name] is None:
            assert row[column] is None, (key, column)
        else:
            assert row[column] == pytest.approx(expected[name], abs=1e-6), (key, column)


def test_weekly_series_is_continuous_per_team(built_lake, expected_weeks):
    rows = built_lake.query("select tenant_id, art, team, week_start from marts.flow_metrics_weekly")
    assert rows, "the lake has delivery data, so the mart must have rows"
    assert set(rows) == set(expected_weeks)
    by_team: dict[tuple, list[dt.date]] = defaultdict(list)
    for tenant, art, team, week in rows:
        by_team[tenant, art, team].append(week)
    for weeks in by_team.values():
        weeks.sort()
        assert all(b - a == dt.timedelta(weeks=1) for a, b in zip(weeks, weeks[1:], strict=False))


def test_velocity_flow_time_and_load_match_python(built_lake, expected_weeks):
    mart = {
        (r["tenant_id"], r["art"], r["team"], r["week_start"]): r
        for r in built_lake.dicts("select * from marts.flow_metrics_weekly")
    }
    assert sum(e["velocity"] for e in expected_weeks.values()) > 100
    for key, expected in expected_weeks.items():
        row = mart[key]
        assert row["flow_velocity"] == expected["velocity"], key
        assert row["days_observed"] == expected["days"], key
        assert row["flow_load_avg_wip"] == pytest.approx(expected["wip"], abs=1e-9), key
        if expected["p50"] is None:
            assert row["flow_time_p50_days"] is None, key
        else:
            assert row["flow_time_p50_days"] == pytest.approx(expected["p50"], abs=1e-6), key


def test_team_reopened_flow_time_p85_and_efficiency_match_python(built_lake, expected_weeks):
    mart = {
        (r["tenant_id"], r["art"], r["team"], r["week_start"]): r
        for r in built_lake.dicts("select * from marts.flow_metrics_weekly")
    }
    assert sum(e["measured"] for e in expected_weeks.values()) > 100
    for key, expected in expected_weeks.items():
        assert_matches(mart[key], expected, key)


def test_distribution_and_shares_add_up(built_lake):
    bad = built_lake.query(
        """
        select team, week_start from marts.flow_metrics_weekly
        where flow_velocity != features_completed + enablers_completed + defects_completed + risks_completed
            or (flow_velocity > 0 and abs(feature_share + enabler_share + defect_share + risk_share - 1) > 1e-9)
            or (flow_velocity = 0 and feature_share is not null)
        """
    )
    assert bad == []


def test_reopened_items_count_once_at_their_final_done(built_lake, items):
    reopened = [i for i in items.values() if i.done_at and "done" in i.classes[:-1]]
    assert reopened, "the generator reopens about 5% of stories"
    total = built_lake.query(
        "select sum(flow_velocity), sum(reopened_completed) from marts.flow_metrics_weekly"
    )
    assert total == [(sum(1 for i in items.values() if i.done_at), len(reopened))]


def test_predictability_matches_python(built_lake):
    latest: dict[tuple[str, str], dict] = {}
    for row in built_lake.dicts(
        "select tenant_id, objective_id, art, pi, is_committed, planned_business_value, actual_business_value,"
        " occurred_at, _ingested_at, event_id from staging.stg_silver__pi_objectives"
    ):
        key = row["tenant_id"], row["objective_id"]
        order = (row["occurred_at"], row["_ingested_at"], row["event_id"])
        if key not in latest or order > latest[key]["order"]:
            latest[key] = {**row, "order": order}
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in latest.values():
        groups[row["tenant_id"], row["art"], row["pi"]].append(row)

    mart = {
        (r["tenant_id"], r["art"], r["pi"]): r
        for r in built_lake.dicts("select * from marts.flow_predictability")
    }
    assert set(mart) == set(groups)
    scored = 0
    for key, objectives in groups.items():
        row = mart[key]
        actuals = [o["actual_business_value"] for o in objectives]
        planned = sum(o["planned_business_value"] for o in objectives if o["is_committed"])
        if all(a is not None for a in actuals) and planned:
            scored += 1
            expected = 100 * sum(actuals) / planned
            assert row["predictability_pct"] == pytest.approx(expected, abs=1e-9), key
            assert row["is_outside_band"] == (not 80 <= expected <= 100), key
        else:
            assert row["predictability_pct"] is None, key
            assert row["is_scored"] is False or not planned, key
        if all(a is None for a in actuals):
            assert row["scoring_status"] == "not_scored", key
    assert scored, "at least one PI ends inside the generated range"


def test_art_weekly_series_matches_python(built_lake, expected_art_weeks):
    mart = {
        (r["tenant_id"], r["art"], r["week_start"]): r
        for r in built_lake.dicts("select * from marts.flow_metrics_art_weekly")
    }
    assert set(mart) == set(expected_art_weeks)
    assert sum(e["velocity"] for e in expected_art_weeks.values()) > 10, "features finish inside the data"
    for key, expected in expected_art_weeks.items():
        assert_matches(mart[key], expected, key)
    by_art: dict[tuple, list[dt.date]] = defaultdict(list)
    for tenant, art, week in mart:
        by_art[tenant, art].append(week)
    for weeks in by_art.values():
        weeks.sort()
        assert all(b - a == dt.timedelta(weeks=1) for a, b in zip(weeks, weeks[1:], strict=False))


def test_portfolio_monthly_series_matches_python(built_lake, expected_portfolio_months):
    mart = {
        (r["tenant_id"], r["month"]): r
        for r in built_lake.dicts("select * from marts.flow_metrics_portfolio_monthly")
    }
    assert set(mart) == set(expected_portfolio_months)
    assert sum(e["velocity"] for e in expected_portfolio_months.values()) > 0, "epics finish inside the data"
    for key, expected in expected_portfolio_months.items():
        assert_matches(mart[key], expected, key)


def test_each_completion_counts_at_one_level_only(built_lake, every_item):
    """Stories and the like in team flow, features in ART flow, epics in the portfolio: every done item once."""
    done = defaultdict(int)
    for item in every_item.values():
        if item.done_at:
            done["epic" if item.type == "epic" else "feature" if item.type == "feature" else "team"] += 1
    counted = {
        level: built_lake.query(f"select coalesce(sum(flow_velocity), 0) from marts.{mart}")[0][0]
        for level, mart in (
            ("team", "flow_metrics_weekly"),
            ("feature", "flow_metrics_art_weekly"),
            ("epic", "flow_metrics_portfolio_monthly"),
        )
    }
    assert counted == dict(done)
