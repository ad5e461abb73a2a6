"""The data health tables a publication carries beside the marts (schema ``health``): how fresh each domain is, its
daily volume, what ingestion accepted and quarantined, the quality checks' outcomes, and the column lineage.

They hold counts and names, never values: a failed check's sample of unexpected values (which may be raw bronze
data) and quarantined records stay in the lake.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from opslake import lake
from opslake.settings import Settings
from opslake.tables import DOMAINS, INGEST_LOG, LINEAGE_EDGES, QUALITY_RESULTS

SCHEMA = "health"
EVENT_TIME = "occurred_at"

# The meaning of every health table and column: the comments of the published file and `opslake catalog`.
DESCRIPTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "quality_results": (
        "One row per data-quality expectation evaluated on a lake table or mart (Great Expectations suites): "
        "counts only, never the unexpected values.",
        {
            "asset": "The table checked, as `<layer>/<table>`.",
            "layer": "Lake layer or warehouse schema of the table checked (bronze, silver, gold, marts).",
            "table_name": "Name of the table checked.",
            "check": "The check the expectation belongs to (schema, nullability, ..., volume).",
            "expectation": "The expectation evaluated (Great Expectations expectation type).",
            "column": "Column the expectation is about; null for a table-level expectation.",
            "severity": "`error` (blocks what is built downstream) or `warn` (reported only).",
            "passed": "True when the expectation held.",
            "observed": "The observed value when it is a number (a row count, a share), else null.",
            "element_count": "Values evaluated, when the expectation reports it.",
            "unexpected_count": "Values that broke the expectation, when the expectation reports it.",
            "run_id": "Id of the run that evaluated the expectation.",
            "checked_at": "When the expectation was evaluated (UTC).",
            "table_version": "Delta version of the table checked (null for a mart).",
        },
    ),
    "ingestion": (
        "One row per ingested landing file: what bronze accepted, skipped as duplicates and quarantined.",
        {
            "domain": "Feed the file belongs to (audit, usage, incident, delivery, cost).",
            "source_file": "Name of the landing file (without its folder).",
            "bytes": "Size of the file in bytes.",
            "read": "Records read from the file.",
            "accepted": "Records appended to bronze.",
            "duplicates": "Records skipped because bronze or the same ingestion already held their event id.",
            "quarantined": "Records that broke the feed's contract, kept in lake/bronze/_quarantine.",
            "first_event_date": "Earliest event date (UTC) among the accepted records.",
            "last_event_date": "Latest event date (UTC) among the accepted records.",
            "started_at": "When ingestion of the file started (UTC).",
            "finished_at": "When ingestion of the file finished (UTC).",
        },
    ),
    "lineage_edges": (
        "The column lineage graph, landing files to dashboards: one row per edge, a source column feeding a "
        "target column (`*` for a table-level edge whose columns could not be resolved).",
        {
            "source": "Source table, as `<layer or schema>.<table>`; empty for a constant.",
            "source_column": "Source column (`*` for a table-level edge).",
            "target": "Target table, as `<layer or schema>.<table>` (or an exposure: dashboard, report).",
            "target_column": "Target column (`*` for a table-level edge).",
            "transformation": "How the source becomes the target: identity, rename, cast, expression, "
            "aggregation, a masking policy, constant or unknown.",
            "via": "The dbt model or pipeline step that makes the edge.",
            "built_at": "When the graph was built (UTC).",
        },
    ),
    "daily_volume": (
        "Records per feed and event day in silver: gaps and spikes in a feed show here.",
        {
            "domain": "Feed (silver table).",
            "day": "Event day (UTC date of the event time).",
            "records": "Silver records of the feed with events on the day.",
        },
    ),
    "freshness": (
        "How fresh each feed is: its newest event time in silver. The oldest of them is the publication's as-of.",
        {
            "domain": "Feed (silver table).",
            "newest_event_at": "Time of the feed's newest event (UTC).",
            "records": "Silver records of the feed.",
        },
    ),
}

# table -> (lake table to read, or None for one computed from the build's silver tables; the published select)
_LAKE = {
    "quality_results": (
        ("governance", QUALITY_RESULTS),
        """select asset, split_part(asset, '/', 1) as layer, split_part(asset, '/', 2) as table_name, "check",
                  expectation, "column", severity, passed,
                  try_cast(observed_value as double) as observed,
                  try_cast(json_extract(try_cast(observed_value as json), '$.element_count') as bigint) as element_count,
                  try_cast(json_extract(try_cast(observed_value as json), '$.unexpected_count') as bigint)
                      as unexpected_count,
                  run_id, checked_at, table_version
           from src""",
    ),
    "ingestion": (
        ("bronze", INGEST_LOG),
        """select domain, regexp_extract(source_file, '[^/]+$') as source_file, bytes, "read", accepted,
                  duplicates, quarantined, first_event_date, last_event_date, started_at, finished_at
           from src""",
    ),
    "lineage_edges": (("governance", LINEAGE_EDGES), "select * from src"),
}


def copy(con: duckdb.DuckDBPyConnection, settings: Settings, target: str) -> dict[str, int]:
    """Create ``<target>.health`` with the health tables; ``build`` is the attached build warehouse. Returns the
    row count of each table, named ``health.<table>``."""
    con.execute(f"create schema {target}.{SCHEMA}")
    for name, ((layer, table), select) in _LAKE.items():
        found = lake.read_table(settings.table_uri(layer, table))
        if (
            found is None
        ):  # before the first ingestion, check or lineage run: no table, rather than a fake one
            continue
        con.register("src", found)
        try:
            con.execute(f'create table {target}.{SCHEMA}."{name}" as {select}')
        finally:
            con.unregister("src")
    present = _silver_domains(con)
    if present:
        volume = " union all ".join(
            f"select '{d}' as domain, cast({EVENT_TIME} as date) as day, count(*) as records "
            f"from build.silver.{d} group by all"
            for d in present
        )
        con.execute(f"create table {target}.{SCHEMA}.daily_volume as {volume}")
        newest = " union all ".join(
            f"select '{d}' as domain, max({EVENT_TIME}) as newest_event_at, count(*) as records "
            f"from build.silver.{d}"
            for d in present
        )
        con.execute(f"create table {target}.{SCHEMA}.freshness as {newest}")
    return {
        f"{SCHEMA}.{name}": con.execute(f'select count(*) from {target}.{SCHEMA}."{name}"').fetchall()[0][0]
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by 1",
            [target, SCHEMA],
        ).fetchall()
    }


def sources(name: str) -> list[str]:
    """The lake tables a health table is copied or computed from, as ``<layer>.<table>``."""
    if name in _LAKE:
        layer, table = _LAKE[name][0]
        return [f"{layer}.{table}"]
    return [f"silver.{d}" for d in DOMAINS]


def as_of(con: duckdb.DuckDBPyConnection, target: str) -> dt.datetime | None:
    """The oldest of the domains' newest event times (from the freshness table ``copy`` made): the moment up to
    which every feed is known. None before any domain has data."""
    found = con.execute(
        "select 1 from duckdb_tables() where database_name = ? and schema_name = ? and table_name = 'freshness'",
        [target, SCHEMA],
    ).fetchall()
    if not found:
        return None
    return con.execute(f"select min(newest_event_at) from {target}.{SCHEMA}.freshness").fetchall()[0][0]


def _silver_domains(con: duckdb.DuckDBPyConnection) -> list[str]:
    found = {
        r[0]
        for r in con.execute(
            "select table_name from duckdb_columns() where database_name = 'build' and schema_name = 'silver' "
            "and column_name = ?",
            [EVENT_TIME],
        ).fetchall()
    }
    return [d for d in DOMAINS if d in found]
