"""Bronze's own tables and keys: the quarantine and ingest-log schemas, the index of event ids already stored."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from ingestion.readers import UnsupportedFile, file_format
from opslake.lake import read_table

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("domain", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_sha256", pa.string(), nullable=False),
        pa.field("line", pa.int64(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("errors", pa.string(), nullable=False),
        pa.field("raw", pa.string(), nullable=False),
        pa.field("raw_bytes", pa.binary(), nullable=False),
        pa.field("quarantined_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("quarantine_date", pa.date32(), nullable=False),
    ]
)

INGEST_LOG_SCHEMA = pa.schema(
    [
        pa.field("domain", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_sha256", pa.string(), nullable=False),
        pa.field("bytes", pa.int64(), nullable=False),
        pa.field("read", pa.int64(), nullable=False),
        pa.field("accepted", pa.int64(), nullable=False),
        pa.field("duplicates", pa.int64(), nullable=False),
        pa.field("quarantined", pa.int64(), nullable=False),
        pa.field("first_event_date", pa.date32()),
        pa.field("last_event_date", pa.date32()),
        pa.field("started_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("finished_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)


class KeyIndex:
    """Hashes of every event id in a bronze table and of those accepted since, in sorted runs.

    Exactly-once holds per domain whatever the event date, so the index covers the whole table; 8 bytes per
    id keep 10M ids in 80 MB. A hash match is only a candidate: the writer confirms it against the stored
    row, so a collision can never drop an event. Runs merge when one is no longer than twice the next, so
    there are O(log n) of them and each id is merged O(log n) times.
    """

    def __init__(self, uri: str) -> None:
        stored = read_table(uri, ["event_id"])
        self._runs = [] if stored is None else [np.sort(id_hashes(stored["event_id"]))]

    def seen(self, hashes: np.ndarray) -> np.ndarray:
        """Whether each hash is already in the index (a boolean mask)."""
        order = np.argsort(hashes)
        queries = hashes[order]  # sorted queries walk each run in order: far fewer cache misses
        found = np.zeros(len(hashes), bool)
        for run in self._runs:
            if len(run):
                found |= run[np.minimum(np.searchsorted(run, queries), len(run) - 1)] == queries
        unsorted = np.empty_like(found)
        unsorted[order] = found
        return unsorted

    def add(self, hashes: np.ndarray) -> None:
        self._runs.append(np.sort(hashes))
        while len(self._runs) > 1 and len(self._runs[-2]) <= 2 * len(self._runs[-1]):
            last = self._runs.pop()
            # a stable sort of two sorted runs is one merge pass (timsort finds the runs)
            self._runs[-1] = np.sort(np.concatenate([self._runs[-1], last]), kind="stable")


def id_hashes(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each id (stable within a process, which is all the index needs)."""
    return pl.Series(ids).hash(seed=0).to_numpy()


def quarantine_keys(uri: str, domain: str, sha256: str, fmt: str) -> set[int]:
    """Lines already quarantined from this content read as this domain and format."""
    rows = read_table(uri, ["domain", "source_file", "line"], ds.field("source_sha256") == sha256)
    if rows is None:
        return set()
    return {
        r["line"] for r in rows.to_pylist() if r["domain"] == domain and _format_of(r["source_file"]) == fmt
    }


def _format_of(source_file: str) -> str | None:
    try:
        return file_format(Path(source_file))
    except UnsupportedFile:
        return None


def dates_of(table: pa.Table) -> pa.Array:
    """Event date (UTC) of each row."""
    return pc.cast(table["occurred_at"].combine_chunks(), pa.date32())
