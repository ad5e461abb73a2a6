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
    """Hashes of every event id in a bronze table and of those accepted since, sorted for binary search.

    Exactly-once holds per domain whatever the event date, so the index covers the whole table; 8 bytes per
    id keep 10M ids in 80 MB. A hash match is only a candidate: the writer confirms it against the stored
    row, so a collision can never drop an event.
    """

    def __init__(self, uri: str) -> None:
        stored = read_table(uri, ["event_id"])
        self._sorted = np.sort(id_hashes(stored["event_id"])) if stored is not None else _EMPTY
        self._recent: list[np.ndarray] = []
        self._recent_rows = 0

    def seen(self, hashes: np.ndarray) -> np.ndarray:
        """Whether each hash is already in the index (a boolean mask)."""
        found = np.zeros(len(hashes), bool)
        if len(self._sorted):
            pos = np.minimum(np.searchsorted(self._sorted, hashes), len(self._sorted) - 1)
            found = self._sorted[pos] == hashes
        if self._recent:
            found |= np.isin(hashes, np.concatenate(self._recent))
        return found

    def add(self, hashes: np.ndarray) -> None:
        self._recent.append(hashes)
        self._recent_rows += len(hashes)
        if self._recent_rows > 1_000_000:  # keep the linear part small: merge it into the sorted part
            self._sorted = np.sort(np.concatenate([self._sorted, *self._recent]))
            self._recent, self._recent_rows = [], 0


_EMPTY = np.empty(0, np.uint64)


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
