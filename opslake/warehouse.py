"""The build warehouse outside dbt: copies of the lake tables dbt reads, gold copies of the marts, the build stamp.

Readers never open it: they read the publication (``opslake.publication``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb
import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError
from pyarrow.fs import FileType

from opslake import lake
from opslake.dbt_project import MARTS_SCHEMA
from opslake.settings import Settings
from opslake.tables import DOMAINS, ERASURE_LOG, LakeTable

# The lake tables dbt reads (its sources), each copied into the warehouse schema named after its layer.
SOURCES = (*(LakeTable("silver", d) for d in DOMAINS), LakeTable("governance", ERASURE_LOG))
LOADS = "main.lake_loads"  # the Delta version each warehouse copy was last loaded at
MARK = "_ingested_at"  # the high-water mark of tables that only grow


class VersionGone(LookupError):
    """A pinned Delta version can no longer be read: an erasure or retention purged the table's history."""

    def __init__(self, table: str, version: int):
        self.table, self.version = table, version
        super().__init__(f"version {version} of {table} is no longer in the lake")


def load_sources(
    settings: Settings, tables: Iterable[LakeTable] = SOURCES, versions: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Bring the warehouse copies ``<layer>.<table>`` up to date with the lake; return rows loaded per table.

    The one way lake data reaches dbt: its sources read these copies. Silver only grows between builds (rows
    are appended past a high-water mark of ``_ingested_at``), so a new day of data costs a day's rows here.
    When a table was changed otherwise since the last load (an erasure, a retention delete, a new column, a
    silver rebuilt with a new masking), or has no high-water mark, the copy is replaced whole.

    ``versions`` (by ``<layer>.<table>``, as ``LOADS`` records them) loads the lake as it was (Delta time travel),
    so that a figure can be re-computed from the data it was computed from; a table it does not name is not
    loaded, and a version whose history was purged raises ``VersionGone``.
    """
    # every table opened first: a pinned version that was purged raises before anything is copied
    opened = [(table, _open(settings, table, versions)) for table in tables]
    loaded = {}
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(f"create table if not exists {LOADS} (table_name varchar primary key, version bigint)")
        for table, delta in opened:
            if delta is None:
                continue
            con.execute(f"create schema if not exists {table.layer}")
            loaded[f"{table.layer}.{table.name}"] = _load_one(con, table, delta)
    return loaded


def _open(settings: Settings, table: LakeTable, versions: Mapping[str, int] | None) -> DeltaTable | None:
    uri = settings.table_uri(table.layer, table.name)
    if versions is None:
        return lake.open_table(uri)
    name = f"{table.layer}.{table.name}"
    if name not in versions:
        return None
    try:
        delta = DeltaTable(uri, version=versions[name])
    except DeltaError as gone:  # TableNotFoundError included: the table's log no longer reaches back that far
        raise VersionGone(name, versions[name]) from gone
    # the log may still name files a vacuum removed: found here, not by a scan failing in the engine's threads
    dataset = delta.to_pyarrow_dataset()
    if any(f.type == FileType.NotFound for f in dataset.filesystem.get_file_info(dataset.files)):
        raise VersionGone(name, versions[name])
    return delta


def forget_loads(settings: Settings) -> None:
    """Make the next ``load_sources`` copy every table whole (a full rebuild starts from here)."""
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(f"drop table if exists {LOADS}")


def _load_one(con: duckdb.DuckDBPyConnection, table: LakeTable, delta: DeltaTable) -> int:
    name = f"{table.layer}.{table.name}"
    last = con.execute(f"select version from {LOADS} where table_name = ?", [name]).fetchall()
    columns = [
        r[0]
        for r in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            [table.layer, table.name],
        ).fetchall()
    ]
    if columns and last and last[0][0] == delta.version():
        return 0
    data = delta.to_pyarrow_dataset()
    appendable = MARK in data.schema.names and set(data.schema.names) == set(columns)
    con.execute("begin")
    if appendable and last and _appended_only(delta, last[0][0]):
        mark = con.execute(f"select max({MARK}) from {name}").fetchall()[0][0]
        new = data.to_table(filter=ds.field(MARK) > mark) if mark else data.to_table()
        con.register("new_rows", new)
        con.execute(f"insert into {name} by name select * from new_rows")
        rows = new.num_rows
    else:
        con.register("new_rows", data)
        con.execute(f"create or replace table {name} as select * from new_rows")
        rows = con.execute(f"select count(*) from {name}").fetchall()[0][0]
    con.unregister("new_rows")
    con.execute(f"insert or replace into {LOADS} values (?, ?)", [name, delta.version()])
    con.execute("commit")
    return rows


def _appended_only(delta: DeltaTable, since: int) -> bool:
    """Whether every commit after version ``since`` only appended rows (unknown when history was purged)."""
    later = [h for h in delta.history() if h["version"] > since]
    if {h["version"] for h in later} != set(range(since + 1, delta.version() + 1)):
        return False
    return all(h["operation"] == "WRITE" and h["operationParameters"].get("mode") == "Append" for h in later)


def publish_gold(settings: Settings, mart: str) -> int:
    """Overwrite ``lake/gold/<mart>`` with the mart's current rows (one Delta commit); return the row count."""
    with duckdb.connect(
        str(settings.warehouse), read_only=True
    ) as con:  # a build step: the build writes no more
        rows = con.sql(f'select * from {MARTS_SCHEMA}."{mart}"').to_arrow_table()
    write_deltalake(settings.table_uri("gold", mart), rows, mode="overwrite", schema_mode="overwrite")
    return rows.num_rows


def last_build(settings: Settings) -> str | None:
    """The fingerprint of the inputs the warehouse was last built from; None when it must be built."""
    stamp = settings.build_stamp
    return stamp.read_text() if settings.warehouse.exists() and stamp.exists() else None


def record_build(settings: Settings, fingerprint: str) -> None:
    settings.build_stamp.write_text(fingerprint)


def discard(settings: Settings) -> bool:
    """Delete the warehouse (derived data) and its stamp, so that the next run rebuilds it from the lake."""
    settings.build_stamp.unlink(missing_ok=True)
    if not settings.warehouse.exists():
        return False
    settings.warehouse.unlink()
    return True
