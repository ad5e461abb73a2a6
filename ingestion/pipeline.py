"""Bronze ingestion: validate input files against their contract and append them to Delta exactly once.

Every record read ends as exactly one of: accepted (appended to ``lake/bronze/<domain>``), duplicate (its
``event_id`` is already in the table or earlier in the run, with the same content) or quarantined
(``lake/bronze/_quarantine`` with its raw bytes and reason; a redelivery with other content is quarantined as
``conflicting_duplicate``). Re-running is safe at any point: rows are keyed by ``event_id`` and quarantine rows
by domain, source content hash, format and line, and every Delta commit is atomic.
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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from ingestion import bronze
from ingestion.contracts import Contract, contract_for
from ingestion.exports import keyed_by_export
from ingestion.fastpath import validate_block, validate_csv
from ingestion.readers import (
    UNREADABLE,
    CorruptFile,
    UnsupportedFile,
    csv_chunks,
    csv_rows_text,
    file_format,
    jsonl_blocks,
    parquet_chunks,
    parse_jsonl_block,
)
from ingestion.validate import Parsed, Validated, validate
from opslake import lake
from opslake.settings import Settings
from opslake.tables import INGEST_LOG, QUARANTINE

FLUSH_ROWS = 1_000_000
_TIMESTAMP = pa.timestamp("us", tz="UTC")

Progress = Callable[[int], None]  # called with the number of input bytes just processed


@dataclass
class IngestReport:
    """The accounting of one ingestion: ``read == accepted + duplicates + quarantined + sum(ignored)``."""

    read: int = 0
    accepted: int = 0
    duplicates: int = 0
    quarantined: int = 0
    reasons: Counter = field(default_factory=Counter)
    ignored: Counter = field(
        default_factory=Counter
    )  # native events that carry nothing for the marts, by kind
    dates: set[dt.date] = field(default_factory=set)
    files: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # paths given that are not readable files, and why

    def add(self, other: IngestReport) -> None:
        self.read += other.read
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.quarantined += other.quarantined
        self.reasons.update(other.reasons)
        self.ignored.update(other.ignored)
        self.dates |= other.dates
        self.files += other.files
        self.skipped |= other.skipped

    def as_dict(self) -> dict:
        return {
            "read": self.read,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
            "reasons": dict(sorted(self.reasons.items())),
            "ignored": dict(sorted(self.ignored.items())),
            "skipped": self.skipped,
        }


def ingest(
    settings: Settings,
    domain: str,
    paths: list[Path],
    progress: Progress | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Ingest files of one domain into bronze; see the module docstring for the guarantees.

    Folders stand for the files in them. A path that is missing or of a type opslake does not read is
    reported in ``skipped`` and the other files are ingested; a file that cannot be read is quarantined whole.
    """
    contract = contract_for(domain)
    files, report = input_files(paths)
    with lake.writer_lock(settings, domain):
        writer = BronzeWriter(settings, contract)
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


def input_files(paths: list[Path]) -> tuple[list[Path], IngestReport]:
    """The readable files that ``paths`` name, each once, and a report naming the paths skipped and why."""
    files: dict[Path, Path] = {}
    report = IngestReport()
    for path in map(Path, paths):
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in found:
            if not file.is_file():
                report.skipped[str(file)] = "no such file"
                continue
            try:
                file_format(file)
            except UnsupportedFile:
                report.skipped[str(file)] = "not a type opslake reads (.jsonl, .json, .csv, .parquet, or .gz)"
                continue
            files.setdefault(file.resolve(), file)
    return list(files.values()), report


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(8 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def _ingest_file(writer: BronzeWriter, path: Path, pool, progress: Progress | None) -> IngestReport:
    started = _now()
    writer.begin_file(path, file_sha256(path))
    try:
        if writer.contract.export_key:
            _add_export(writer, path, pool, progress)
        else:
            for validated, parsed, size in _validated_chunks(writer.contract, path, pool):
                writer.add(validated, parsed)
                if progress:
                    progress(size)
    except UNREADABLE as exc:
        writer.unreadable(path, exc)
    return writer.end_file(path.stat().st_size, started)


def _add_export(writer: BronzeWriter, path: Path, pool, progress: Progress | None) -> None:
    """Add a file of exports whole: its rows' ids depend on all of it, and a damaged export must not
    supersede a complete one, so a file that breaks off is quarantined whole."""
    chunks = []
    for validated, parsed, size in _validated_chunks(writer.contract, path, pool):
        damage = [e[0] for e in validated.rejected.values() if e[0].startswith("corrupt_file:")]
        if damage:
            raise CorruptFile(damage[0].partition(":")[2])
        chunks.append((validated, parsed))
        if progress:
            progress(size)
    for validated, parsed in keyed_by_export(writer.contract, chunks):
        writer.add(validated, parsed)


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
        yield (
            fast,
            Parsed(range(2, n + 2), [], [], [], source=lambda: csv_rows_text(path)),
            path.stat().st_size,
        )
        return
    chunks = csv_chunks(path) if fmt == "csv" else parquet_chunks(path)
    for parsed in chunks:
        yield validate(contract, parsed), parsed, sum(len(r) + 1 for r in parsed.raws)


def _process_block(domain: str, first_line: int, block: bytes) -> tuple[Validated, Parsed, int]:
    contract, now = contract_for(domain), dt.datetime.now(dt.UTC)
    fast = validate_block(contract, first_line, block, now)
    if fast is not None:
        n = fast.table.num_rows
        return fast, Parsed(range(first_line, first_line + n), [], [], [], source=lambda: block), len(block)
    parsed = parse_jsonl_block(first_line, block)
    return validate(contract, parsed, now), parsed, len(block)


class BronzeWriter:
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
        self.content = [*contract.names, "_extra"]  # what makes two deliveries of an event the same
        self.buffer: list[pa.Table] = []
        self.buffered = 0
        self.quarantine_rows: list[dict] = []
        self.log_rows: list[dict] = []
        # lines already quarantined, per content hash and format
        self.quarantined: dict[tuple[str, str], set[int]] = {}

    def begin_file(self, path: Path, sha: str) -> None:
        self.source, self.sha, self.format = str(path.resolve()), sha, file_format(path)
        self.report = IngestReport(files=[self.source])
        self.ingested_at = _now()

    def add(self, validated: Validated, parsed: Parsed) -> None:
        self.report.read += len(parsed.lines)
        for i, errors in sorted(validated.rejected.items()):
            self._quarantine(parsed.lines[i], parsed.raws[i], errors)
        table = validated.table
        if not table.num_rows:
            return
        dates = bronze.dates_of(table)
        n = table.num_rows
        table = (
            table.append_column("event_date", dates)
            .append_column("_source_file", pa.repeat(pa.scalar(self.source, pa.string()), n))
            .append_column("_ingested_at", pa.repeat(pa.scalar(self.ingested_at, _TIMESTAMP), n))
            .select(self.schema.names)
            .cast(self.schema)
        )
        table = self._first_deliveries(table, parsed)
        self.report.dates.update(pc.unique(table["event_date"]).to_pylist())
        self.report.accepted += table.num_rows
        self.buffer.append(table)
        self.buffered += table.num_rows
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def _first_deliveries(self, table: pa.Table, parsed: Parsed) -> pa.Table:
        """The rows whose event id is new to the table and to this run; the others are duplicates when
        equal to the version held, else quarantined as ``conflicting_duplicate`` (both stay findable)."""
        ids = table["event_id"].combine_chunks()
        hashes = bronze.id_hashes(ids)
        positions = pa.array(np.arange(len(ids)))
        first = (
            pa.table({"id": ids, "i": positions}).group_by("id", use_threads=False).aggregate([("i", "min")])
        )
        seen = self.index.seen(hashes)
        if not seen.any() and first.num_rows == len(ids):
            self.index.add(hashes)
            return table
        held = self._held(ids.filter(pa.array(seen)), table["event_date"].filter(pa.array(seen)))
        # The version each row is compared with: the one held, else the first in this chunk.
        versions = pa.concat_tables([held, table.take(first["i_min"])])
        new = pc.and_(
            pc.is_in(positions, value_set=first["i_min"]),
            pc.invert(pc.is_in(ids, value_set=held["event_id"])),
        )
        again = pc.indices_nonzero(pc.invert(new))
        version = versions.take(pc.index_in(ids.take(again), value_set=versions["event_id"]))
        same = _equal_rows(table.take(again).select(self.content), version.select(self.content))
        self.report.duplicates += pc.sum(same).as_py() or 0
        conflicts = pc.indices_nonzero(pc.invert(same))
        for row, kept in zip(
            table.take(again.take(conflicts)).to_pylist(), version.take(conflicts).to_pylist(), strict=True
        ):
            where = f"{kept['_source_file']} line {kept['_line']}"
            self._quarantine(
                row["_line"],
                parsed.raw(row["_line"]),
                [
                    "conflicting_duplicate",
                    f"event_id {row['event_id']} is held from {where} with other content",
                ],
            )
        keep = pc.indices_nonzero(new)
        self.index.add(hashes[keep.to_numpy()])
        return table.take(keep)

    def _held(self, ids: pa.Array, dates: pa.Array) -> pa.Table:
        """The versions held of these ids (buffered or stored; usually none, as a hash match is only a hint).

        A redelivery carries its event time and so its partition, which is read first; only ids not found
        there cost a scan of the whole table's ids.
        """
        held = [b.filter(pc.is_in(b["event_id"], value_set=ids)) for b in self.buffer]
        missing = pc.filter(ids, pc.invert(pc.is_in(ids, value_set=_ids_of(held))))
        if len(missing):
            partitions = ds.field("event_date").isin(pc.unique(dates).to_pylist())
            stored = lake.read_table(self.uri, filter=partitions & ds.field("event_id").isin(missing))
            held += [] if stored is None else [stored]
            missing = pc.filter(missing, pc.invert(pc.is_in(missing, value_set=_ids_of(held))))
        if len(missing):
            stored = lake.read_table(self.uri, filter=ds.field("event_id").isin(missing))
            held += [] if stored is None else [stored]
        return pa.concat_tables([self._conform(t) for t in held] or [self.schema.empty_table()])

    def _conform(self, table: pa.Table) -> pa.Table:
        """Rows stored before the contract grew, with nulls in the fields added since."""
        for name in self.schema.names:
            if name not in table.column_names:
                table = table.append_column(name, pa.nulls(table.num_rows, self.schema.field(name).type))
        return table.select(self.schema.names).cast(self.schema)

    def _quarantine(self, line: int, raw: bytes, errors: list[str]) -> None:
        self.report.quarantined += 1
        self.report.reasons[errors[0]] += 1
        key = (self.sha, self.format)
        if key not in self.quarantined:
            self.quarantined[key] = bronze.quarantine_keys(
                self.quarantine_uri, self.contract.domain, self.sha, self.format
            )
        if line in self.quarantined[key]:
            return  # quarantined by an earlier run of the same content
        self.quarantined[key].add(line)
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

    def unreadable(self, path: Path, exc: BaseException) -> None:
        """Quarantine a file that cannot be read (what was read before the damage stays) as one record,
        line 0, with all its bytes."""
        cause = exc.args[0] if isinstance(exc, CorruptFile) else type(exc).__name__
        self.report.read += 1
        self._quarantine(0, path.read_bytes(), [f"corrupt_file:{cause}", str(exc)])

    def flush(self) -> None:
        if self.buffer:
            table = pa.concat_tables(self.buffer)
            for start in range(0, table.num_rows, FLUSH_ROWS):  # bounded commits: a crash loses little work
                part = table.slice(start, FLUSH_ROWS)
                lake.append(self.uri, part, partition_by=["event_date"], evolve=True)  # a contract may grow
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


def _ids_of(tables: list[pa.Table]) -> pa.Array:
    return (
        pa.concat_arrays([t["event_id"].combine_chunks() for t in tables])
        if tables
        else pa.array([], pa.string())
    )


def _equal_rows(a: pa.Table, b: pa.Table) -> pa.Array:
    """Row by row, whether two aligned tables hold the same values (two nulls are equal)."""
    same = pa.array(np.ones(a.num_rows, bool))
    for name in a.column_names:
        x, y = a[name].combine_chunks(), b[name].combine_chunks()
        both_null = pc.and_(pc.is_null(x), pc.is_null(y))
        same = pc.and_(same, pc.or_(pc.fill_null(pc.equal(x, y), False), both_null))
    return same


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
