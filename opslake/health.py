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
