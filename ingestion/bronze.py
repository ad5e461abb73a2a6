"""Bronze's own tables and keys: the quarantine and ingest-log schemas, the index of event ids already stored."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from opslake.lake import open_table, read_table

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
    """Event ids already in a bronze table, loaded per ``event_date`` partition and kept for recent dates.

    Redelivered events carry the same ``occurred_at`` and so the same partition, which is what makes a
    per-partition index exact; loading only touched partitions keeps memory bounded on large tables.
    """

    def __init__(self, uri: str, max_dates: int = 48) -> None:
        self.uri = uri
        self.max_dates = max_dates
        self._ids: OrderedDict[dt.date, list[pa.Array]] = OrderedDict()
        table = open_table(uri)
        self._partitions = (
            {dt.date.fromisoformat(p["event_date"]) for p in table.partitions()} if table else set()
        )

    def new_rows(self, ids: pa.Array, dates: pa.Array) -> pa.Array:
        """Indexes of rows whose id is new: not stored and not earlier in this batch. Records them as seen."""
        days = set(pc.unique(dates).to_pylist())
        known = self._load(days)
        positions = pa.array(range(len(ids)), pa.int64())
        first = (
            pa.table({"id": ids, "i": positions}).group_by("id", use_threads=False).aggregate([("i", "min")])
        )
        is_new = pc.is_in(positions, value_set=first["i_min"])
        stored = [chunk for d in days for chunk in known[d]]
        if stored:
            is_new = pc.and_(is_new, pc.invert(pc.is_in(ids, value_set=pa.concat_arrays(stored))))
        keep = pc.indices_nonzero(is_new)
        kept_ids, kept_dates = ids.take(keep), dates.take(keep)
        for d in days:
            known[d].append(kept_ids.filter(pc.equal(kept_dates, pa.scalar(d, pa.date32()))))
        return keep

    def _load(self, days: set[dt.date]) -> dict[dt.date, list[pa.Array]]:
        missing = [d for d in days if d not in self._ids]
        if missing:
            loaded: dict[dt.date, list[pa.Array]] = {d: [] for d in missing}
            stored = [d for d in missing if d in self._partitions]
            if stored:
                rows = read_table(self.uri, ["event_id", "event_date"], ds.field("event_date").isin(stored))
                for d in stored:
                    loaded[d].append(
                        rows["event_id"].filter(pc.equal(rows["event_date"], d)).combine_chunks()
                    )
            self._ids.update(loaded)
        for d in days:
            self._ids.move_to_end(d)
        while len(self._ids) > max(self.max_dates, len(days)):
            self._ids.popitem(last=False)
        return {d: self._ids[d] for d in days}

    def mark_written(self, dates: set[dt.date]) -> None:
        self._partitions |= dates


def quarantine_keys(uri: str, sha256: str) -> set[int]:
    """Lines of a source file (by content hash) that are already quarantined."""
    rows = read_table(uri, ["line"], ds.field("source_sha256") == sha256)
    return set() if rows is None else set(rows["line"].to_pylist())


def dates_of(table: pa.Table) -> pa.Array:
    """Event date (UTC) of each row."""
    return pc.cast(table["occurred_at"].combine_chunks(), pa.date32())
