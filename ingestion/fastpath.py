"""The fast path for clean JSON lines: Arrow's C++ reader and vectorised contract checks.

Most input is valid. A block of JSON lines is read with ``pyarrow.json`` against the contract's schema and
checked with Arrow compute; if anything at all is off (a bad line, a wrong type, an out-of-range value) the
block goes to the record-by-record path in ``validate``, which finds each bad record and its reason. Both
paths accept exactly the same records with the same values (a test compares them).
"""

from __future__ import annotations

import io
import ipaddress
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from ingestion.contracts import Contract, Field
from ingestion.validate import Validated, time_bounds

_READ = pj.ReadOptions(use_threads=False, block_size=1 << 30)


def validate_block(contract: Contract, first_line: int, block: bytes, now: datetime) -> Validated | None:
    """Validated rows of a block of JSON lines when every line is valid, else None."""
    if contract.id_from_content or any(f.kind == "json" for f in contract.fields):
        return None  # derived ids and nested JSON values take the record-by-record path
    if b"\n\n" in block or block[:1] in (b"\n", b"\r"):
        return None  # blank lines would shift the line numbers
    schema = pa.schema([pa.field(f.input_name, _read_type(f)) for f in contract.fields])
    try:
        table = pj.read_json(
            io.BytesIO(block),
            read_options=_READ,
            # An unknown field fails the read: the record-by-record path keeps it in `_extra`.
            parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error"),
        )
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


def _read_type(f: Field) -> pa.DataType:
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
        absent = pc.or_(absent, pc.fill_null(pc.equal(column, ""), False))
    if required is not None:
        absent = pc.and_(absent, required)
    return bool(pc.any(absent).as_py())


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
