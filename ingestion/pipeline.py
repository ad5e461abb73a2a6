"""Bronze ingestion: validate input files against their contract and append them to Delta exactly once.

Every record read ends as exactly one of: accepted (appended to ``lake/bronze/<domain>``), duplicate (its
``event_id`` is already in the table or earlier in the run) or quarantined (``lake/bronze/_quarantine`` with
its raw text and reason). Re-running is safe at any point: rows are keyed by ``event_id`` and quarantine rows
by source content hash and line, and every Delta commit is atomic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ingestion import bronze
from ingestion.contracts import Contract, contract_for
from ingestion.fastpath import validate_block, validate_csv
from ingestion.readers import csv_chunks, file_format, jsonl_blocks, parquet_chunks, parse_jsonl_block
from ingestion.validate import Parsed, Validated, validate
from opslake import lake
from opslake.settings import Settings
from opslake.tables import INGEST_LOG, QUARANTINE

FLUSH_ROWS = 1_000_000
_TIMESTAMP = pa.timestamp("us", tz="UTC")

Progress = Callable[[int], None]  # called with the number of input bytes just processed


@dataclass
class IngestReport:
    """The accounting of one ingestion: ``read == accepted + duplicates + quarantined``."""

    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: Counter = field(default_factory=Counter)
    dates: set[dt.date] = field(default_factory=set)
    files: list[str] = field(default_factory=list)

    def add(self, other: IngestReport) -> None:
        self.read += other.read
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.reasons.update(other.reasons)
        self.dates |= other.dates
        self.files += other.files

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "reasons": dict(sorted(self.reasons.items())),
        }


def ingest(
    settings: Settings,
    domain: str,
    paths: list[Path],
    progress: Progress | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Ingest files of one domain into bronze; see the module docstring for the guarantees."""
    contract = contract_for(domain)
    files = [Path(p) for p in paths]
    for path in files:
        file_format(path)  # fail fast, before anything is written, on a type we cannot read
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
    report = IngestReport()
    with lake.writer_lock(settings, domain):
        writer = _BronzeWriter(settings, contract)
        # Threads suffice: the fast path parses and checks in Arrow's C++ code, which releases the GIL.
        n = workers if workers is not None else min(4, os.cpu_count() or 1)
        pool = ThreadPoolExecutor(n, thread_name_prefix="ingest") if n > 1 else None
        try:
            for path in files:
                report.add(_ingest_file(writer, path, pool, progress))
            writer.flush()
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    return report


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _ingest_file(writer: _BronzeWriter, path: Path, pool, progress: Progress | None) -> IngestReport:
    started = _now()
    writer.begin_file(str(path.resolve()), file_sha256(path))
    for validated, parsed, size in _validated_chunks(writer.contract, path, pool):
        writer.add(validated, parsed)
        if progress:
            progress(size)
    return writer.end_file(path.stat().st_size, started)


def _validated_chunks(contract: Contract, path: Path, pool) -> Iterator[tuple[Validated, Parsed, int]]:
    """Parse and validate a file chunk by chunk, fanning blocks of JSON lines out to worker threads."""
    fmt = file_format(path)
    if fmt == "jsonl":
        pending: list[Future] = []
        for first_line, block, error in jsonl_blocks(path):
            if error:
                parsed = Parsed([first_line], [b""], [None], [error])
                yield validate(contract, parsed), parsed, 0
                continue
            if pool is None:
                yield _process_block(contract.domain, first_line, block)
                continue
            pending.append(pool.submit(_process_block, contract.domain, first_line, block))
            if len(pending) > 4:  # workers keep parsing while this thread deduplicates and commits
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
        return
    if fmt == "csv" and (fast := validate_csv(contract, path, dt.datetime.now(dt.UTC))) is not None:
        n = fast.table.num_rows
        yield fast, Parsed(range(n), [], [], []), path.stat().st_size
        return
    chunks = csv_chunks(path) if fmt == "csv" else parquet_chunks(path)
    for parsed in chunks:
        yield validate(contract, parsed), parsed, sum(len(r) + 1 for r in parsed.raws)


def _process_block(domain: str, first_line: int, block: bytes) -> tuple[Validated, Parsed, int]:
    contract, now = contract_for(domain), dt.datetime.now(dt.UTC)
    fast = validate_block(contract, first_line, block, now)
    if fast is not None:
        n = fast.table.num_rows
        return fast, Parsed(range(first_line, first_line + n), [], [], []), len(block)
    parsed = parse_jsonl_block(first_line, block)
    return validate(contract, parsed, now), parsed, len(block)


class _BronzeWriter:
    """Deduplicates validated rows against the table and buffers them, across files, into large commits.

    A flush commits data, then quarantine rows, then the ingest-log rows of the files completed so far: a
    crash between them leaves rows that the next run recognises (event ids, quarantine keys), never a log
    entry for data that is not there.
    """

    def __init__(self, settings: Settings, contract: Contract) -> None:
        self.settings = settings
        self.contract = contract
        self.uri = settings.table_uri("bronze", contract.domain)
        self.quarantine_uri = settings.table_uri("bronze", QUARANTINE)
        self.index = bronze.KeyIndex(self.uri)
        self.schema = contract.arrow_schema()
        self.buffer: list[pa.Table] = []
        self.buffered = 0
        self.quarantine_rows: list[dict] = []
        self.log_rows: list[dict] = []
        self.quarantined: dict[str, set[int]] = {}  # lines already quarantined, per source content hash

    def begin_file(self, source: str, sha: str) -> None:
        self.source, self.sha = source, sha
        self.report = IngestReport(files=[source])
        self.ingested_at = _now()

    def add(self, validated: Validated, parsed: Parsed) -> None:
        self.report.read += len(parsed.lines)
        self._quarantine(validated, parsed)
        table = validated.table
        if not table.num_rows:
            return
        dates = bronze.dates_of(table)
        keep = self.index.new_rows(table["event_id"].combine_chunks(), dates)
        self.report.duplicates += table.num_rows - len(keep)
        if len(keep) < table.num_rows:
            table, dates = table.take(keep), dates.take(keep)
        self.report.dates.update(pc.unique(dates).to_pylist())
        self.report.accepted += table.num_rows
        n = table.num_rows
        table = (
            table.append_column("event_date", dates)
            .append_column("_source_file", pa.repeat(pa.scalar(self.source, pa.string()), n))
            .append_column("_ingested_at", pa.repeat(pa.scalar(self.ingested_at, _TIMESTAMP), n))
        )
        self.buffer.append(table.select(self.schema.names).cast(self.schema))
        self.buffered += n
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def _quarantine(self, validated: Validated, parsed: Parsed) -> None:
        for i, errors in sorted(validated.rejected.items()):
            self.report.quarantined += 1
            self.report.reasons[errors[0]] += 1
            line = parsed.lines[i]
            if self.sha not in self.quarantined:
                self.quarantined[self.sha] = bronze.quarantine_keys(self.quarantine_uri, self.sha)
            if line in self.quarantined[self.sha]:
                continue  # quarantined by an earlier run of the same content
            self.quarantined[self.sha].add(line)
            raw = parsed.raws[i]
            self.quarantine_rows.append(
                {
                    "domain": self.contract.domain,
                    "source_file": self.source,
                    "source_sha256": self.sha,
                    "line": line,
                    "reason": errors[0],
                    "errors": ";".join(errors),
                    "raw": raw.decode("utf-8", errors="backslashreplace"),
                    "raw_bytes": raw,
                    "quarantined_at": self.ingested_at,
                    "quarantine_date": self.ingested_at.date(),
                }
            )

    def flush(self) -> None:
        if self.buffer:
            table = pa.concat_tables(self.buffer)
            for start in range(0, table.num_rows, FLUSH_ROWS):  # bounded commits: a crash loses little work
                part = table.slice(start, FLUSH_ROWS)
                lake.append(self.uri, part, partition_by=["event_date"])
                self.index.mark_written(set(part["event_date"].unique().to_pylist()))
        if self.quarantine_rows:
            rows = pa.Table.from_pylist(self.quarantine_rows, schema=bronze.QUARANTINE_SCHEMA)
            lake.append(self.quarantine_uri, rows, partition_by=["quarantine_date"])
        if self.log_rows:
            log = pa.Table.from_pylist(self.log_rows, schema=bronze.INGEST_LOG_SCHEMA)
            lake.append(self.settings.table_uri("bronze", INGEST_LOG), log)
        self.buffer, self.buffered, self.quarantine_rows, self.log_rows = [], 0, [], []

    def end_file(self, size: int, started: dt.datetime) -> IngestReport:
        r = self.report
        self.log_rows.append(
            {
                "domain": self.contract.domain,
                "source_file": self.source,
                "source_sha256": self.sha,
                "bytes": size,
                "read": r.read,
                "accepted": r.accepted,
                "duplicates": r.duplicates,
                "quarantined": r.quarantined,
                "first_event_date": min(r.dates, default=None),
                "last_event_date": max(r.dates, default=None),
                "started_at": started,
                "finished_at": _now(),
            }
        )
        return r


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
