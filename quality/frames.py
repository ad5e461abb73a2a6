"""The small tables Great Expectations validates, computed with Arrow, Delta log statistics and DuckDB.

``rows`` holds only the columns a suite's expectations name (bronze: only the partitions of the run; a mart:
the columns its ranges name, every row counted for its volume); ``schema`` (lake tables) one row per column
with its expected and observed type; ``stats`` one row of a lake table's statistics (newest event, rows of the
latest complete day, and how many earlier weeks the volume band was computed from); ``references`` one row per
distinct referenced id and the id it matched, if any.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from opslake import lake
from opslake.dbt_project import seed_file
from opslake.settings import Settings
from quality.suites import Suite, arrow_type_name, thresholds

SLO_SEED = "slo_objectives"  # the services with SLOs are known services too


@dataclass
class Frames:
    """The frames of one suite, the values of its ``$PARAMETER``s and facts about what was validated."""

    tables: dict[str, pa.Table]
    parameters: dict[str, float] = field(default_factory=dict)
    info: dict[str, object] = field(default_factory=dict)


def volume_band(history: list[int], rule: dict | None = None) -> tuple[float, float] | None:
    """Rows expected from earlier counts: median +/- max(k * robust sigma, ratio * median, floor rows)."""
    rule = rule or thresholds()["volume"]
    if len(history) < rule["min_history"]:
        return None
    median = statistics.median(history)
    mad = statistics.median(abs(x - median) for x in history)
    spread = max(rule["mad_k"] * 1.4826 * mad, rule["ratio"] * median, rule["floor"])
    return max(0.0, median - spread), median + spread


def schema_frame(expected: dict[str, str], observed: dict[str, str]) -> pa.Table:
    names = [*expected, *(c for c in observed if c not in expected)]
    return pa.table(
        {
            "column": names,
            "expected_type": [expected.get(c) for c in names],
            "observed_type": [observed.get(c) for c in names],
        },
        schema=pa.schema(
            [("column", pa.string()), ("expected_type", pa.string()), ("observed_type", pa.string())]
        ),
    )


def lake_frames(
    settings: Settings, suite: Suite, dates: tuple[str, str] | None, now: dt.datetime
) -> Frames | None:
    """Frames of a bronze or silver table (None when it does not exist yet); ``dates`` limits the rows."""
    uri = settings.table_uri(*suite.asset)
    table = lake.open_table(uri)
    if table is None:
        return None
    observed = {f.name: arrow_type_name(f.type) for f in pa.schema(table.schema().to_arrow())}
    wanted = suite.columns("rows")
    filter = None
    if dates:
        lo, hi = (dt.date.fromisoformat(d) for d in dates)
        filter = (ds.field("event_date") >= lo) & (ds.field("event_date") <= hi)
    rows = lake.read_table(uri, [c for c in wanted if c in observed], filter)
    for c in wanted:  # a missing column reads as nulls: the schema check names it, nullability counts it
        if c not in rows.column_names:
            rows = rows.append_column(c, pa.nulls(rows.num_rows, pa.string()))
    stats, parameters = _lake_stats(pa.table(table.get_add_actions(flatten=True)), now)
    frames = {"rows": rows, "schema": schema_frame(dict(suite.expected_types), observed), "stats": stats}
    if "references" in suite.frames():
        frames["references"] = references_frame(settings, suite.asset[1])
    info = {"rows_validated": rows.num_rows, "table_version": table.version()}
    if dates:
        info["partitions"] = f"{dates[0]}..{dates[1]}"
    return Frames(frames, parameters, info)


def _lake_stats(actions: pa.Table, now: dt.datetime) -> tuple[pa.Table, dict[str, float]]:
    """Newest event and the latest complete day's rows against the same weekday of earlier weeks (Delta log
    stats). The day in progress is not judged: how much of a day has arrived by some hour depends on where and
    when its sources work, so no share of the day's band is a fair expectation (a dead feed shows in freshness,
    and in volume the next day)."""
    per_day = actions.group_by("partition.event_date").aggregate([("num_records", "sum")])
    counts = dict(
        zip(per_day["partition.event_date"].to_pylist(), per_day["num_records_sum"].to_pylist(), strict=True)
    )
    counts = {d: n for d, n in counts.items() if n}
    latest_event = (
        pc.max(actions["max.occurred_at"]).as_py() if "max.occurred_at" in actions.column_names else None
    )
    complete = [d for d in counts if d < now.astimezone(dt.UTC).date()]
    if not complete:
        empty = {
            "latest_event_at": latest_event,
            "age_hours": _age_hours(now, latest_event),
            "day": None,
            "rows": 0,
            "history_points": 0,
        }
        return pa.Table.from_pylist([empty]), {"rows_min": 0, "rows_max": 0}
    day, first = max(complete), min(counts)
    weeks = thresholds()["volume"]["weeks"]
    history = [
        counts.get(day - dt.timedelta(weeks=k), 0)
        for k in range(1, weeks + 1)
        if day - dt.timedelta(weeks=k) >= first
    ]
    low, high = volume_band(history) or (0.0, 0.0)
    row = {
        "latest_event_at": latest_event,
        "age_hours": _age_hours(now, latest_event),
        "day": day.isoformat(),
        "rows": counts[day],
        "history_points": len(history),
    }
    return pa.Table.from_pylist([row]), {"rows_min": low, "rows_max": high}


def _age_hours(now: dt.datetime, latest_event: dt.datetime | None) -> float | None:
    return None if latest_event is None else round((now - latest_event).total_seconds() / 3600, 2)


def references_frame(settings: Settings, domain: str) -> pa.Table:
    """Each distinct id the domain's silver rows reference, with the id it matched (null when unknown)."""
    con = duckdb.connect()
    if domain == "delivery":
        con.register("delivery", _read(settings, "delivery", ["record_type", "pr_id", "pr_ids"]))
        sql = """
            with refs as (
                select distinct unnest(from_json(pr_ids, '["VARCHAR"]')) as pr_id
                from delivery where record_type = 'deployment' and pr_ids is not null
            ), known as (select distinct pr_id from delivery where record_type = 'pull_request')
            select refs.pr_id, known.pr_id as known_pr_id
            from refs left join known using (pr_id) order by 1
        """
    else:
        con.register("incident", _read(settings, "incident", ["service"]))
        con.register("usage", _read(settings, "usage", ["service"]))
        seed = f"union select service from read_csv('{seed_file(settings, SLO_SEED)}')"
        sql = f"""
            with known as (select distinct service from usage {seed})
            select refs.service, known.service as known_service
            from (select distinct service from incident) refs left join known using (service) order by 1
        """
    return con.sql(sql).to_arrow_table()


def _read(settings: Settings, domain: str, columns: list[str]) -> pa.Table:
    table = lake.read_table(settings.table_uri("silver", domain), columns)
    return table if table is not None else pa.table({c: pa.array([], pa.string()) for c in columns})


def mart_frames(settings: Settings, suite: Suite, history: list[int]) -> Frames | None:
    """The rows of a mart in the warehouse, only the columns its ranges name (None when there is no mart yet).

    No schema frame: dbt's enforced contract guarantees a mart's columns and types.
    """
    if not settings.warehouse.exists():
        return None
    schema, name = suite.asset
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        observed = {
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchall()
        }
        if not observed:
            return None
        selected = [f'"{c}"' if c in observed else f'null as "{c}"' for c in suite.columns("rows")]
        rows = con.sql(
            f'select {", ".join(selected) or "1 as one"} from "{schema}"."{name}"'
        ).to_arrow_table()
    band = volume_band(history) or (0, None)  # too little history: any count passes
    return Frames(
        {"rows": rows}, {"rows_min": band[0], "rows_max": band[1]}, {"rows_validated": rows.num_rows}
    )
