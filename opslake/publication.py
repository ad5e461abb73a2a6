"""Publication: readers (analyst SQL, dashboards, reports) see only what a successful build published.

A build writes ``warehouse.duckdb``; publishing copies its marts and the data health tables (``opslake.health``),
with a record of the build, into a new file
``published/warehouse-<build>.duckdb`` and then points ``published/current`` at it with one atomic rename. A
reader opens the file ``current`` names, read-only: it never sees half a build, never waits for one, and never
holds a lock a build needs. The file is written in a storage version the DuckDB CLI 1.5 reads (DuckDB 2.0's
default it cannot), so analysts can open it with the client they install.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from opslake import dbt_project, health
from opslake.dbt_project import MARTS_SCHEMA
from opslake.settings import Settings
from opslake.warehouse import LOADS

STORAGE_VERSION = "v1.0.0"  # read by DuckDB 1.x clients as well as 2.x
RECORD = "opslake.publication"  # one row: the build this file holds
CURRENT = "current"
KEEP = 3  # published files kept: a reader that resolved `current` a moment ago still finds its file
RECORD_DESCRIPTION = (
    "The record of the build this file holds: one row.",
    {
        "build_id": "Id of the build (the Dagster run) that published this file.",
        "built_at": "When the file was published (UTC).",
        "as_of": "Every feed's events are known up to here: the oldest of the feeds' newest event times.",
        "lake_versions": "Delta version of each lake table the build read, as JSON (table -> version).",
        "tables": "Row count of each published table, as JSON (table -> rows).",
    },
)


class NotPublished(RuntimeError):
    """Nothing has been published yet (or the published file cannot be opened)."""

    hint = "run `opslake run`: a successful build publishes the warehouse"


class TimedOut(RuntimeError):
    """A query ran longer than its time limit and was interrupted."""


@dataclass(frozen=True)
class Publication:
    """What a published file holds: the build, when, from which lake versions, and its tables' row counts."""

    build_id: str
    built_at: dt.datetime
    as_of: dt.datetime | None  # every domain's events are known up to here (the oldest of their newest)
    lake_versions: dict[str, int]
    tables: dict[str, int]
    path: Path

    def as_dict(self) -> dict:
        d = asdict(self)
        d.update(built_at=self.built_at.isoformat(), path=str(self.path))
        d["as_of"] = self.as_of.isoformat() if self.as_of else None
        return d


def publish(settings: Settings, build_id: str) -> Publication:
    """Publish the marts of the build warehouse as a new read-only file and make it the current one."""
    settings.published.mkdir(parents=True, exist_ok=True)
    target = settings.published / f"warehouse-{build_id}.duckdb"
    partial = target.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach {_sql(settings.warehouse)} as build (read_only)")
        con.execute(f"attach {_sql(partial)} as pub (storage_version '{STORAGE_VERSION}')")
        tables = _copy_marts(con)
        tables.update(health.copy(con, settings, "pub"))
        versions = dict(con.execute(f"select table_name, version from build.{LOADS}").fetchall())
        as_of = health.as_of(con, "pub")
        built_at = dt.datetime.now(dt.UTC)
        con.execute("create schema pub.opslake")
        con.execute(
            f"create table pub.{RECORD} as select ? as build_id, ? as built_at, ? as as_of, "
            "?::json as lake_versions, ?::json as tables",
            [build_id, built_at, as_of, json.dumps(versions), json.dumps(tables)],
        )
        _describe(con, descriptions(settings))
    finally:
        con.close()
    os.replace(partial, target)
    _point_current_at(settings, target)
    _prune(settings, target)
    return Publication(build_id, built_at, as_of, versions, tables, target)


def _copy_marts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    names = [
        r[0]
        for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'build' and schema_name = ? "
            "order by 1",
            [MARTS_SCHEMA],
        ).fetchall()
    ]
    con.execute(f"create schema pub.{MARTS_SCHEMA}")
    rows = {}
    for name in names:
        con.execute(
            f'create table pub.{MARTS_SCHEMA}."{name}" as select * from build.{MARTS_SCHEMA}."{name}"'
        )
        rows[name] = con.execute(f'select count(*) from pub.{MARTS_SCHEMA}."{name}"').fetchall()[0][0]
    return rows


def descriptions(settings: Settings) -> dict[str, tuple[str, dict[str, str]]]:
    """The meaning of every table a publication may hold and of its columns, by the name analysts query it by
    (marts unqualified): the marts' from their dbt YAML, the health tables' and the record's from their code."""
    manifest = dbt_project.load_manifest(dbt_project.prepare_manifest(settings))
    return (
        dbt_project.mart_descriptions(manifest)
        | {f"{health.SCHEMA}.{name}": d for name, d in health.DESCRIPTIONS.items()}
        | {RECORD: RECORD_DESCRIPTION}
    )


def _describe(con: duckdb.DuckDBPyConnection, described: dict[str, tuple[str, dict[str, str]]]) -> None:
    """Comment the published tables and columns with their meaning, where analysts look (``describe``,
    ``duckdb_columns()``, a BI tool's schema browser); one nobody documented stays without (a test fails on it)."""
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = 'pub'"
    ).fetchall()
    for schema, table in tables:
        text, meanings = described.get(table if schema == MARTS_SCHEMA else f"{schema}.{table}", ("", {}))
        ref = f'pub."{schema}"."{table}"'
        if text:
            con.execute(f"comment on table {ref} is {sql_literal(text)}")
        for (column,) in con.execute(
            "select column_name from duckdb_columns() where database_name = 'pub' and schema_name = ? "
            "and table_name = ?",
            [schema, table],
        ).fetchall():
            if meanings.get(column):
                con.execute(f'comment on column {ref}."{column}" is {sql_literal(meanings[column])}')


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal (statements written into files, and DDL, take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _point_current_at(settings: Settings, target: Path) -> None:
    link = settings.published / f".{CURRENT}-{target.stem}"
    link.unlink(missing_ok=True)
    os.symlink(target.name, link)
    os.replace(link, settings.published / CURRENT)  # atomic: a reader resolves the old file or the new one


def _prune(settings: Settings, current: Path) -> None:
    files = sorted(settings.published.glob("warehouse-*.duckdb"), key=lambda p: p.stat().st_mtime_ns)
    for old in [f for f in files if f != current][: max(0, len(files) - KEEP)]:
        old.unlink(missing_ok=True)  # a reader that has it open keeps reading it


def withdraw(settings: Settings) -> list[Path]:
    """Delete every publication (an erasure: they may hold what was erased); the next build publishes anew."""
    link = settings.published / CURRENT
    link.unlink(missing_ok=True)
    files = sorted(settings.published.glob("warehouse-*.duckdb")) if settings.published.exists() else []
    for path in files:
        path.unlink()
    return files


def _sql(path: Path) -> str:
    return sql_literal(str(path))


@contextmanager
def open_current(settings: Settings, analyst: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the current publication; ``analyst`` also shuts out files, extensions and
    settings changes (the raw lake stays out of reach), with the marts first on the search path."""
    for _ in range(KEEP):  # the file `current` named may have been pruned between resolving and opening it
        path = current_path(settings)
        try:
            con = _connect(path, analyst)
            break
        except duckdb.IOException:
            continue
    else:
        raise NotPublished(f"the published warehouse {path} cannot be opened")
    try:
        yield con
    finally:
        con.close()


@contextmanager
def open_published(path: Path, analyst: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to one published file (a reader that must see one build throughout)."""
    try:
        con = _connect(path, analyst)
    except duckdb.IOException as gone:
        raise NotPublished(f"the published warehouse {path} is no longer there") from gone
    try:
        yield con
    finally:
        con.close()


def _connect(path: Path, analyst: bool) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(
        str(path), read_only=True, config={"enable_external_access": False} if analyst else {}
    )
    if analyst:
        con.execute(f"set search_path = '{MARTS_SCHEMA},main'")
        con.execute("set lock_configuration = true")
    return con


def current_path(settings: Settings) -> Path:
    link = settings.published / CURRENT
    if not link.is_symlink():
        raise NotPublished("nothing has been published yet")
    return settings.published / os.readlink(link)


def current(settings: Settings) -> Publication:
    """The record of the current publication."""
    for _ in range(KEEP):  # the file `current` named may have been pruned between resolving and opening it
        try:
            return record(current_path(settings))
        except duckdb.IOException:
            continue
    raise NotPublished("the current publication cannot be opened")


def record(path: Path) -> Publication:
    """The record of the publication in ``path``; a published file never changes, so neither does its record."""
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            f"select build_id, built_at, as_of, lake_versions, tables from {RECORD}"
        ).fetchall()[0]
    build_id, built_at, as_of, versions, tables = row
    return Publication(build_id, built_at, as_of, json.loads(versions), json.loads(tables), path)


def query(settings: Settings, sql: str, timeout: float) -> pa.Table | None:
    """Run an analyst's statement on the current publication and return its rows (None if it returns none);
    one running longer than ``timeout`` seconds is interrupted, so a runaway query ends with ``TimedOut``."""
    with open_current(settings) as con:
        fired = threading.Event()

        def stop() -> None:
            fired.set()
            con.interrupt()

        timer = threading.Timer(timeout, stop)
        timer.start()
        try:
            relation = con.sql(sql)  # None for a statement that returns no rows
            return None if relation is None else relation.to_arrow_table()
        except (duckdb.InterruptException, RuntimeError) as e:
            if fired.is_set():
                raise TimedOut(f"the query ran longer than {timeout:g} s and was stopped") from e
            if str(e) == "Query interrupted":  # how DuckDB reports Ctrl-C: as the interrupt it is
                raise KeyboardInterrupt from e
            raise
        finally:
            timer.cancel()


def analyst_name(schema: str, table: str) -> str:
    """A published table's name as an analyst queries it: marts unqualified (first on the search path)."""
    return table if schema == MARTS_SCHEMA else f"{schema}.{table}"


def readable_tables(settings: Settings) -> dict[str, int]:
    """The tables an analyst can read in the current publication, marts first and unqualified (they are first
    on the search path), with their row counts."""
    with open_current(settings) as con:
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by table_schema <> ?, table_schema, table_name",
            [MARTS_SCHEMA],
        ).fetchall()
        return {
            analyst_name(schema, table): con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[
                0
            ][0]
            for schema, table in names
        }
