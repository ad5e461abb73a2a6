"""Delta Lake access shared by every layer: open, read, append, row counts, history purges, writer locks."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from opslake.settings import Settings


def open_table(uri: str) -> DeltaTable | None:
    """The Delta table at ``uri``, or None if there is none yet."""
    try:
        return DeltaTable(uri)
    except TableNotFoundError:
        return None


def append(uri: str, table: pa.Table, partition_by: list[str] | None = None, evolve: bool = False) -> None:
    """Append rows in one Delta transaction (all or nothing); ``evolve`` lets new columns join the schema."""
    if table.num_rows:
        write_deltalake(
            uri, table, mode="append", partition_by=partition_by, schema_mode="merge" if evolve else None
        )


def overwrite(uri: str, table: pa.Table, partition_by: list[str] | None = None) -> None:
    """Replace a table's rows and schema in one Delta transaction (readers see the old or the new version)."""
    write_deltalake(uri, table, mode="overwrite", partition_by=partition_by, schema_mode="overwrite")


def read_table(
    uri: str, columns: list[str] | None = None, filter: ds.Expression | None = None
) -> pa.Table | None:
    """Read columns of a Delta table (None when the table does not exist)."""
    table = open_table(uri)
    if table is None:
        return None
    return table.to_pyarrow_dataset().to_table(columns=columns, filter=filter)


RETENTION_DEFAULTS = {
    "delta.logRetentionDuration": "interval 30 days",
    "delta.deletedFileRetentionDuration": "interval 7 days",
}


def purge_history(table: DeltaTable) -> int:
    """Delete every data file and log entry of earlier versions: only the current version stays readable.

    Erasure and retention need this: an old version's files, and the statistics in its log entries, could
    still hold what was deleted. Returns the number of data files removed.
    """
    table.alter.set_table_properties(
        {
            "delta.logRetentionDuration": "interval 0 seconds",
            "delta.deletedFileRetentionDuration": "interval 0 seconds",
        }
    )
    removed = table.vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    table.create_checkpoint()
    table.cleanup_metadata()
    table.alter.set_table_properties(RETENTION_DEFAULTS)
    return len(removed)


def row_count(uri: str) -> int | None:
    """Rows in a Delta table from its log's file statistics (no data is read); None if there is no table."""
    table = open_table(uri)
    if table is None:
        return None
    actions = pa.table(table.get_add_actions(flatten=True))  # deltalake returns arro3 objects
    return int(pc.sum(actions.column("num_records")).as_py() or 0)


RUN_LOCK = "run"  # held by `opslake run` while it builds: one build of the warehouse at a time


@contextmanager
def writer_lock(settings: Settings, name: str) -> Iterator[None]:
    """One writer at a time per name: a domain (exactly-once ingestion and silver's high-water mark rely on
    it) or ``run`` (one build of the warehouse at a time)."""
    settings.locks.mkdir(parents=True, exist_ok=True)
    with open(settings.locks / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def is_locked(settings: Settings, name: str) -> bool:
    """Whether a writer holds the lock ``name`` now."""
    path = settings.locks / f"{name}.lock"
    if not path.exists():
        return False
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
