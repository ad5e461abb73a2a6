"""The DuckDB warehouse seen from outside dbt: analyst queries and the gold copies of the marts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import pyarrow as pa
from deltalake import write_deltalake

from opslake.settings import Settings

MARTS_SCHEMA = "marts"


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be opened for reading (not built yet, or a run is writing it)."""


@contextmanager
def read_only(settings: Settings, analyst: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection; ``analyst`` also shuts out files, extensions and settings changes.

    The analyst role reads what the warehouse holds (masked silver onwards, marts first on the search path) and
    nothing else: no files (so not the raw bronze lake), no ATTACH, no extensions, no writes.
    """
    if not settings.warehouse.exists():
        raise WarehouseUnavailable(f"there is no warehouse at {settings.warehouse} yet")
    config = {"enable_external_access": False} if analyst else {}
    try:
        con = duckdb.connect(str(settings.warehouse), read_only=True, config=config)
    except duckdb.IOException as e:  # another process holds the write lock
        raise WarehouseUnavailable(f"the warehouse is being written by a run ({e})") from e
    try:
        if analyst:
            try:
                con.execute(f"set search_path = '{MARTS_SCHEMA},main'")
            except duckdb.CatalogException as e:
                raise WarehouseUnavailable("the warehouse has no marts yet") from e
            con.execute("set lock_configuration = true")
        yield con
    finally:
        con.close()


def query(settings: Settings, sql: str) -> pa.Table:
    """Run one analyst query and return its rows."""
    with read_only(settings, analyst=True) as con:
        return con.sql(sql).to_arrow_table()


def publish_gold(settings: Settings, mart: str) -> int:
    """Overwrite ``lake/gold/<mart>`` with the mart's current rows (one Delta commit); return the row count."""
    with read_only(settings) as con:
        rows = con.sql(f'select * from {MARTS_SCHEMA}."{mart}"').to_arrow_table()
    write_deltalake(settings.table_uri("gold", mart), rows, mode="overwrite", schema_mode="overwrite")
    return rows.num_rows
