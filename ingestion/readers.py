"""Readers that turn input files (JSONL, CSV, Parquet; plain or gzipped) into chunks of parsed records.

A reader never drops a line: a line that cannot be parsed becomes a record with a reason (``not_utf8``,
``invalid_json``, ``not_an_object``, ``duplicate_key``, ``bad_csv_row``, ``corrupt_file``) so that it can be
quarantined. A file that cannot be read at all raises one of ``UNREADABLE``; the caller quarantines it whole.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.validate import Parsed

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}
CHUNK_BYTES = 32 * 1024 * 1024
READ_BYTES = 1024 * 1024
CSV_NULLS = frozenset({"", "NULL"})


BOM = b"\xef\xbb\xbf"
_KEY = re.compile(rb'"\s*:')  # at least one per key of every object in a line


class UnsupportedFile(ValueError):
    """The file's format is not one opslake reads."""


class CorruptFile(Exception):
    """Nothing of the file could be read; ``args[0]`` names the cause."""


# What reading a damaged or mislabelled file raises: such a file is quarantined whole, never a crash.
UNREADABLE = (OSError, EOFError, zlib.error, csv.Error, UnicodeError, pa.ArrowException, CorruptFile)


def file_format(path: Path) -> str:
    """``jsonl``, ``csv`` or ``parquet`` from the file name (a ``.gz`` suffix is looked through)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise UnsupportedFile(
            f"{path}: unsupported file type; use .jsonl/.ndjson/.json, .csv or .parquet, optionally gzipped (.gz)"
        )
    return fmt


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else open(path, "rb")


def jsonl_blocks(
    path: Path, block_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[int, bytes | None, str | None]]:
    """Yield ``(first_line, block, error)``: blocks of whole lines, and a final error if the file is corrupt.

    The file is read in small pieces so that a corrupt stream loses only what follows the damage. A leading
    byte-order mark is dropped. A file holding one JSON array (``[{...}, ...]``) yields one line per element.
    """
    line, tail, error = 1, b"", None
    with _open(path) as f:
        first = True
        while True:
            try:
                data = _read_block(f, block_bytes)
            except _Corrupt as exc:
                data, error = exc.args[0], exc.args[1]
                if first and not data:
                    raise CorruptFile(error.partition(":")[2]) from None
            if first:
                first = False
                data = data.removeprefix(BOM)
                if data.lstrip()[:1] == b"[":  # a JSON array, or JSON lines whose first line is not an object
                    data += _read_rest(f, block_bytes)
                    if (items := _array_items(data)) is not None:
                        yield 1, items, None
                        return
            at_end = len(data) < block_bytes
            data = tail + data
            cut = data.rfind(b"\n") + 1
            if error or not cut:
                tail = data
            else:
                block, tail = data[:cut], data[cut:]
                yield line, block, None
                line += block.count(b"\n")
            if error or at_end:
                break
    if tail:
        yield line, tail, None
        line += tail.count(b"\n") + 1
    if error:
        yield line, None, error


def _array_items(data: bytes) -> bytes | None:
    """The elements of a whole-file JSON array as JSON lines (element ``n`` is line ``n``), else None."""
    try:
        items = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(items, list):
        return None
    return b"".join(orjson.dumps(item) + b"\n" for item in items)


def _read_rest(f, block_bytes: int) -> bytes:
    """The rest of a file read whole (a JSON array is parsed whole); damage makes the file unreadable."""
    pieces = []
    try:
        while piece := _read_block(f, block_bytes):
            pieces.append(piece)
    except _Corrupt as exc:
        raise CorruptFile(exc.args[1].partition(":")[2]) from None
    return b"".join(pieces)


class _Corrupt(Exception):
    """A compressed stream broke; ``args`` are the bytes read before the damage and the reason."""


def _read_block(f, size: int) -> bytes:
    """Up to ``size`` bytes; a damaged gzip stream raises ``_Corrupt`` with what was read before it."""
    if not isinstance(f, gzip.GzipFile):
        return f.read(size)
    pieces, have = [], 0
    try:
        while have < size and (piece := f.read1(min(READ_BYTES, size - have))):
            pieces.append(piece)
            have += len(piece)
    except (OSError, EOFError, zlib.error) as exc:
        raise _Corrupt(b"".join(pieces), f"corrupt_file:{type(exc).__name__}") from None
    return b"".join(pieces)


def parse_jsonl_block(first_line: int, block: bytes) -> Parsed:
    """Parse a block of JSON lines; blank lines are not records and are skipped."""
    lines, raws, records, reasons = [], [], [], []
    loads, decode_error = orjson.loads, orjson.JSONDecodeError
    for n, raw in enumerate(block.split(b"\n"), first_line):
        if not raw.strip():
            continue
        raw = raw.removesuffix(b"\r")
        try:
            rec = loads(raw)
            reason = None if rec.__class__ is dict else "not_an_object"
        except decode_error:
            rec, reason = None, _undecodable(raw)
        if reason is None and len(_KEY.findall(raw)) > len(rec):  # nested objects, or a key given twice
            reason = _duplicate_key(raw)
        if reason:
            rec = None
        lines.append(n)
        raws.append(raw)
        records.append(rec)
        reasons.append(reason)
    return Parsed(lines, raws, records, reasons)


def _duplicate_key(raw: bytes) -> str | None:
    """``duplicate_key:<name>`` when an object names a key twice: which value is meant is ambiguous."""

    def pairs(items: list[tuple[str, object]]) -> dict:
        seen = set()
        for key, _ in items:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
        return dict(items)

    try:
        json.loads(raw, object_pairs_hook=pairs)
    except _DuplicateKey as exc:
        return f"duplicate_key:{exc.args[0]}"
    return None


class _DuplicateKey(Exception):
    """A key given twice in one object; ``args[0]`` is the key."""


def _undecodable(raw: bytes) -> str:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return "not_utf8"
    return "invalid_json"


def csv_chunks(path: Path, chunk_rows: int = 100_000) -> Iterator[Parsed]:
    """Parse a CSV file with a header row; ``NULL`` and empty cells are nulls."""
    state = {"line": 0, "parts": [], "bad": []}

    def text_lines(f) -> Iterator[str]:
        for raw in f:
            state["line"] += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                state["bad"].append((state["line"], raw.rstrip(b"\r\n")))
                continue
            state["parts"].append(raw)
            yield text

    occurrences: dict[str, int] = {}  # shared by the chunks of this file: content ids count per file
    chunk = Parsed([], [], [], [], textual=True, occurrences=occurrences)
    with _open(path) as f:
        reader = csv.reader(text_lines(f))
        header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
        state["parts"].clear()
        start = state["line"] + 1
        try:
            for row in reader:
                raw = b"".join(state["parts"]).rstrip(b"\r\n")
                state["parts"].clear()
                _flush_bad(chunk, state["bad"])
                if len(row) == len(header):
                    rec = {h: (None if v in CSV_NULLS else v) for h, v in zip(header, row, strict=True)}
                    _add(chunk, start, raw, rec, None)
                elif row:
                    _add(chunk, start, raw, None, "bad_csv_row")
                start = state["line"] + 1
                if len(chunk.lines) >= chunk_rows:
                    yield chunk
                    chunk = Parsed([], [], [], [], textual=True, occurrences=occurrences)
        except (OSError, EOFError, zlib.error, csv.Error) as exc:
            _add(
                chunk, state["line"] + 1, b"".join(state["parts"]), None, f"corrupt_file:{type(exc).__name__}"
            )
    _flush_bad(chunk, state["bad"])
    if chunk.lines:
        yield chunk


def _flush_bad(chunk: Parsed, bad: list) -> None:
    for line, raw in bad:
        _add(chunk, line, raw, None, "not_utf8")
    bad.clear()


def _add(chunk: Parsed, line: int, raw: bytes, rec: dict | None, reason: str | None) -> None:
    chunk.lines.append(line)
    chunk.raws.append(raw)
    chunk.records.append(rec)
    chunk.reasons.append(reason)


def csv_rows_text(path: Path) -> bytes:
    """A CSV file's bytes after its header line: line 2 first (raw records of the fast path)."""
    with _open(path) as f:
        return f.read().split(b"\n", 1)[-1]


def parquet_chunks(path: Path, chunk_rows: int = 100_000) -> Iterator[Parsed]:
    """Rows of a Parquet file as records; the line number is the row number (1-based)."""
    line, occurrences = 1, {}
    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        records = batch.to_pylist()
        raws = [orjson.dumps(r, default=str) for r in records]
        n = len(records)
        yield Parsed(list(range(line, line + n)), raws, records, [None] * n, occurrences=occurrences)
        line += n
