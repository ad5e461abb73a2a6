"""Delta Lake access shared by every layer: open, read, append, row counts, history purges, writer locks."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import TableNotFoundError

from opslake.permissions import FILE_MODE
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


@contextmanager
def writer_lock(settings: Settings, name: str) -> Iterator[None]:
    """One writer at a time per name: a domain (exactly-once ingestion and silver's high-water mark rely on
    it) or the user store. Whole-lake writers take ``lake_writer`` instead."""
    settings.locks.mkdir(parents=True, exist_ok=True)
    with open(settings.locks / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


LAKE_LOCK = "lake"  # locks/lake.lock: held by whoever writes the lake as a whole
WAIT_SECONDS = 3600.0  # how long a writer waits for another to finish before it refuses
RUNS = ("run", "Dagster run")  # the operations `opslake status` reports as a run in progress
_POLL = 0.2
_held: dict[Path, int] = {}  # the lake locks this process holds, with how deeply each is taken


@dataclass(frozen=True)
class Writer:
    """Who holds the lake's writer lock: what it does, its process and since when (unknown: another writer)."""

    operation: str = "writer"
    pid: int | None = None
    started_at: dt.datetime | None = None

    def __str__(self) -> str:
        if self.pid is None or self.started_at is None:
            return "another writer"
        return f"the {self.operation} started at {self.started_at:%Y-%m-%d %H:%M:%S} UTC by pid {self.pid}"

    def as_dict(self) -> dict:
        at = self.started_at.isoformat() if self.started_at else None
        return {"operation": self.operation, "pid": self.pid, "started_at": at}


class LakeBusy(Exception):
    """Another writer still held the lake when the wait ran out; nothing was written."""

    def __init__(self, holder: Writer, waited: float):
        self.holder, self.waited = holder, waited
        super().__init__(f"{holder} is still writing the lake after {waited:g} s of waiting")


@contextmanager
def lake_writer(
    settings: Settings,
    operation: str,
    wait: float = WAIT_SECONDS,
    on_wait: Callable[[Writer], None] = lambda holder: None,
) -> Iterator[None]:
    """Write the lake as its only writer: runs, erasures, retention and ingestion exclude each other.

    An erasure that interleaved with a run let the run commit silver built from bronze read before the erasure.
    Another writer waits up to ``wait`` seconds (``on_wait`` hears once whom for), then ``LakeBusy`` is raised.
    The process that holds the lock may take it again: ``opslake run`` holds it around the Dagster runs it
    executes in process, whose ``lake`` resource takes it too. Readers never take it.
    """
    path = settings.locks / f"{LAKE_LOCK}.lock"
    if path in _held:
        _held[path] += 1
        try:
            yield
        finally:
            _held[path] -= 1
        return
    settings.locks.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)  # not truncated: it names the writer holding it
    try:
        _acquire(fd, path, wait, on_wait)
        me = Writer(operation, os.getpid(), dt.datetime.now(dt.UTC).replace(microsecond=0))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me.as_dict()).encode(), 0)
        _held[path] = 1
        try:
            yield
        finally:
            del _held[path]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, wait: float, on_wait: Callable[[Writer], None]) -> None:
    deadline, told = time.monotonic() + wait, False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        if time.monotonic() >= deadline:
            raise LakeBusy(_holder(path), wait)
        if not told:
            on_wait(_holder(path))
            told = True
        time.sleep(min(_POLL, max(0.0, deadline - time.monotonic())))


def current_writer(settings: Settings) -> Writer | None:
    """Who writes the lake now (None: nobody); it never waits, so readers such as `opslake status` may ask."""
    path = settings.locks / f"{LAKE_LOCK}.lock"
    if not path.exists():
        return None
    with open(path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder(path)
        fcntl.flock(handle, fcntl.LOCK_UN)
        return None


def _holder(path: Path) -> Writer:
    """The writer named in a held lock file; it writes its name just after taking the lock, so allow it a moment."""
    for _ in range(50):
        try:
            named = json.loads(path.read_text() or "null")
        except (OSError, ValueError):
            named = None
        if named:
            return Writer(named["operation"], named["pid"], dt.datetime.fromisoformat(named["started_at"]))
        time.sleep(0.02)
    return Writer()
