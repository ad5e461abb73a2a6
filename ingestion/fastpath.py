"""The fast path for clean JSON lines: Arrow's C++ reader and vectorised contract checks.

Most input is valid. A block of JSON lines is read with ``pyarrow.json`` against the contract's schema and
checked with Arrow compute; if anything at all is off (a bad line, a wrong type, an out-of-range value) the
block goes to the record-by-record path in ``validate``, which finds each bad record and its reason. Both
paths accept exactly the same records with the same values (a test compares them).
"""

from __future__ import annotations

import csv
import gzip
import io
import ipaddress
import re
from datetime import datetime
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pj

from ingestion.contracts import Contract, Field
from ingestion.readers import UNREADABLE
from ingestion.validate import Validated, content_id, tenant_from_tags, time_bounds

_READ = pj.ReadOptions(use_threads=False, block_size=1 << 30)
_BLANK_LINE = re.compile(rb"\n[ \t\r]*\n")  # no alternation with \A: this one is searched at memchr speed


def validate_block(contract: Contract, first_line: int, block: bytes, now: datetime) -> Validated | None:
    """Validated rows of a block of JSON lines when every line is valid, else None."""
    if contract.id_from_content or any(f.kind == "json" and f.shape is None for f in contract.fields):
        return None  # derived ids and JSON values of no known shape take the record-by-record path
    if _BLANK_LINE.search(block) or block.lstrip(b" \t\r")[:1] == b"\n":
        return None  # Arrow skips blank lines, which would shift the line numbers
    schema = pa.schema([pa.field(f.input_name, _read_type(f)) for f in contract.fields])
    try:
        table = pj.read_json(
            io.BytesIO(block),
            read_options=_READ,
            # An unknown field fails the read: the record-by-record path keeps it in `_extra`.
            parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error"),
        )
        table.validate(full=True)  # Arrow's JSON reader does not check that strings are UTF-8
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    rt = contract.record_type_field
    row_types = table[contract.field(rt).input_name].combine_chunks() if rt else None
    columns = {}
    for f in contract.fields:
        column = _checked(contract, f, table[f.input_name].combine_chunks(), row_types, now)
        if column is None:
            return None
        columns[f.name] = column
    columns["_extra"] = pa.nulls(table.num_rows, pa.string())
    columns["_line"] = pa.array(range(first_line, first_line + table.num_rows), pa.int64())
    return Validated(table=pa.table(columns))


def validate_csv(contract: Contract, path: Path, now: datetime) -> Validated | None:
    """Validated rows of a whole CSV file when every row is valid, else None.

    Cells are read as text (``NULL`` and empty cells are nulls) and converted as the record-by-record
    path converts CSV text; a file with a ragged row, a blank line, a line break inside a cell, bytes that
    are not UTF-8, or any invalid value goes to that path instead.
    """
    try:
        with gzip.open(path, "rt", newline="") if path.suffix == ".gz" else open(path, newline="") as f:
            header = [h.strip().lstrip("\ufeff") for h in next(csv.reader(f), [])]
    except UNREADABLE:
        return None  # the record-by-record reader says what is wrong
    if not header or len(set(header)) != len(header):
        return None
    try:
        table = pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(column_names=header, skip_rows=1, use_threads=False),
            parse_options=pcsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                null_values=["NULL", ""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except UNREADABLE:
        return None
    table = table.combine_chunks()
    if any(pc.any(pc.match_substring(table[n], "\n")).as_py() for n in header):
        return None  # a line break inside a cell shifts the line numbers
    table = _derive_columns(contract, table)
    columns = {}
    for f in contract.fields:
        if f.input_name not in table.column_names:
            column = pa.nulls(table.num_rows, pa.string())
        else:
            column = table[f.input_name].combine_chunks()
        column = _from_text(contract, f, column, now)
        column = None if column is None else _checked(contract, f, column, None, now)
        if column is None:
            return None
        columns[f.name] = column
    known = {f.input_name for f in contract.fields}
    columns["_extra"] = _csv_extras(table.select([n for n in header if n not in known]))
    columns["_line"] = pa.array(range(2, table.num_rows + 2), pa.int64())
    return Validated(table=pa.table(columns))


def _derive_columns(contract: Contract, table: pa.Table) -> pa.Table:
    """Add the derived id, time and tenant of content-identified rows, as the record-by-record path does."""
    if contract.id_from_content:
        occurrences: dict[str, int] = {}
        ids = [content_id(c, occurrences) for c in _row_contents(table).to_pylist()]
        table = table.append_column("event_id", pa.array(ids, pa.string()))
        table = table.append_column("occurred_at", table[contract.field(contract.time_from).input_name])
    if contract.tenant_tag_keys:
        tags = table["Tags"].combine_chunks()
        distinct = pc.unique(tags)
        tenants = pa.array([tenant_from_tags(t, contract) for t in distinct.to_pylist()], pa.string())
        table = table.append_column("tenant_id", pc.take(tenants, pc.index_in(tags, value_set=distinct)))
    return table


def _row_contents(table: pa.Table) -> pa.Array:
    """Each row's non-null cells as ``name\\x1fvalue\\x1e``, sorted by name (see ``validate.row_content``)."""
    pieces = []
    for name in sorted(table.column_names):
        column = table[name].combine_chunks()
        piece = pc.binary_join_element_wise(pa.scalar(name), column, "\x1f")  # null where the cell is null
        pieces.append(pc.fill_null(pc.binary_join_element_wise(piece, pa.scalar(""), "\x1e"), ""))
    return pc.binary_join_element_wise(*pieces, "")


def _from_text(contract: Contract, f: Field, column: pa.Array, now: datetime) -> pa.Array | None:
    """Convert CSV text to the field's kind, or None when a value does not convert."""
    try:
        if f.kind in ("integer", "number", "boolean"):
            return pc.cast(column, f.arrow_type)
        if f.kind == "timestamp" and contract.naive_timestamps_are_utc:
            return pc.assume_timezone(pc.cast(column, pa.timestamp("us")), "UTC")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if f.kind == "json":
        distinct = pc.unique(column.drop_null())
        canonical = [_canonical_json(v) for v in distinct.to_pylist()]
        if None in canonical:
            return None
        return pc.take(pa.array(canonical, pa.string()), pc.index_in(column, value_set=distinct))
    return column


def _canonical_json(text: str) -> str | None:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return (
        orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode() if isinstance(value, dict | list) else None
    )


def _csv_extras(table: pa.Table) -> pa.Array:
    if not table.num_columns:
        return pa.nulls(table.num_rows, pa.string())
    dumps, sort = orjson.dumps, orjson.OPT_SORT_KEYS
    return pa.array([dumps(row, option=sort).decode() for row in table.to_pylist()], pa.string())


def _read_type(f: Field) -> pa.DataType:
    if f.kind == "json":
        return f.shape
    return pa.string() if f.kind == "timestamp" else f.arrow_type


def _checked(
    contract: Contract, f: Field, column: pa.Array, row_types: pa.Array | None, now: datetime
) -> pa.Array | None:
    """The column converted to its kind, or None when any value breaks the field's rules."""
    if _missing(f, column, row_types):
        return None
    if f.kind == "timestamp":
        try:  # a string without a zone offset fails this cast: such a time is ambiguous
            column = pc.cast(column, f.arrow_type)
        except pa.ArrowInvalid:
            return None
        bounds = pc.min_max(column)
        lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
        earliest, latest = time_bounds(contract, f, now)
        if lo is not None and (lo < earliest or hi > latest):
            return None
    elif f.kind == "json" and not pa.types.is_string(column.type):
        if _has_null_inside(column):
            return None  # a null or absent nested key: only the record-by-record path tells them apart
        dumps, sort = orjson.dumps, orjson.OPT_SORT_KEYS
        column = pa.array([None if v is None else dumps(v, option=sort).decode() for v in column.to_pylist()])
    elif f.kind == "enum":
        if pc.all(pc.is_in(column.drop_null(), value_set=pa.array(f.values))).as_py() is False:
            return None
    elif f.kind == "ip":
        if not all(_is_ip(v) for v in pc.unique(column.drop_null()).to_pylist()):
            return None
    elif f.kind in ("integer", "number"):
        if f.kind == "number" and pc.any(pc.invert(pc.is_finite(column))).as_py():
            return None
        bounds = pc.min_max(column)
        lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
        if lo is not None and (
            (f.minimum is not None and lo < f.minimum) or (f.maximum is not None and hi > f.maximum)
        ):
            return None
    return column


def _missing(f: Field, column: pa.Array, row_types: pa.Array | None) -> bool:
    """Whether a required value is null (or an empty string)."""
    if f.required:
        required = None
    elif f.required_for and row_types is not None:
        required = pc.is_in(row_types, value_set=pa.array(f.required_for))
    else:
        return False
    absent = pc.is_null(column)
    if f.kind in ("string", "text", "enum", "ip") and f.required:
        blank = pc.equal(pc.utf8_trim_whitespace(column), "")  # as ``validate._absent``
        absent = pc.or_(absent, pc.fill_null(blank, False))
    if required is not None:
        absent = pc.and_(absent, required)
    return bool(pc.any(absent).as_py())


def _has_null_inside(column: pa.Array) -> bool:
    """Whether a nested value holds a null (list items, struct fields), below the top level."""
    if pa.types.is_list(column.type):
        values = column.flatten()
        return values.null_count > 0 or _has_null_inside(values)
    if pa.types.is_struct(column.type):
        return any(child.null_count > 0 or _has_null_inside(child) for child in column.flatten())
    return False


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
