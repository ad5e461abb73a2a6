"""Column-wise validation of parsed records against a contract.

Records arrive as dicts (from JSON, CSV or Parquet). Each contract field is checked as a whole column with a
vectorised fast path; only columns that fail it are checked value by value to find the offending rows. The
first failing rule of a record is its quarantine reason (``missing_field:x``, ``bad_type:x``, ``bad_value:x``,
``not_in_seed:<seed>:x``, ``out_of_range:x``); all of them are kept in ``errors``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.contracts import Contract, Field

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(days=1)
TEXT_TRUE = frozenset({"true", "1", "yes", "t"})
TEXT_FALSE = frozenset({"false", "0", "no", "f"})
INT64 = (-(2**63), 2**63 - 1)  # what an integer field can hold; anything beyond is out of range


class Invalid(Exception):
    """A value breaks its field's rule; ``args[0]`` is the reason prefix (``bad_type``, ...)."""


@dataclass
class Parsed:
    """Records of one chunk of input. ``records[i]`` is None where parsing failed with ``reasons[i]``."""

    lines: Sequence[int]  # a range when a fast path accepted a whole block
    raws: list[bytes]
    records: list[dict | None]
    reasons: list[str | None]
    textual: bool = False  # values are text (CSV) and are converted to their kinds
    occurrences: dict[str, int] = field(default_factory=dict)  # content ids seen so far in this input file
    source: Callable[[], bytes] | None = None  # the text of a fast-path chunk, its first line at lines[0]

    def raw(self, line: int) -> bytes:
        """The raw bytes of the record on ``line`` (a fast-path chunk is split again on demand)."""
        if self.raws:
            return self.raws[self.lines.index(line)]
        assert self.source is not None, "a chunk without raws must say where its text is"
        return self.source().split(b"\n")[line - self.lines[0]].removesuffix(b"\r")


@dataclass
class Validated:
    """Accepted rows as an Arrow table (contract fields, ``_extra``, ``_line``) and rejected row indexes."""

    table: pa.Table
    rejected: dict[int, list[str]] = field(default_factory=dict)


def validate(contract: Contract, parsed: Parsed, now: datetime | None = None) -> Validated:
    """Validate every parsed record of a chunk against the contract."""
    now = now or datetime.now(UTC)
    errors: dict[int, list[str]] = {i: [r] for i, r in enumerate(parsed.reasons) if r is not None}
    ok = [i for i, rec in enumerate(parsed.records) if rec is not None]
    records = [parsed.records[i] for i in ok]
    if contract.id_from_content or contract.tenant_tag_keys:
        records = _derive(contract, records, parsed.occurrences)
    columns: dict[str, list] = {}
    row_types = None
    if contract.record_type_field:
        rt = contract.field(contract.record_type_field)
        row_types = [r.get(rt.input_name) for r in records]
    for f in contract.fields:
        name = f.input_name
        values = [r.get(name) for r in records]
        required = _required_mask(f, row_types)
        converted, bad = _convert_column(f, values, required, parsed.textual, contract, now)
        for j, reason in bad.items():
            errors.setdefault(ok[j], []).append(reason)
        columns[f.name] = converted
    known = {f.input_name for f in contract.fields}
    extras = [_extra(r, known) for r in records]
    keep = [j for j, i in enumerate(ok) if i not in errors]
    take = pa.array(keep, pa.int64())
    arrays = {f.name: _take(f, columns[f.name], keep, take) for f in contract.fields}
    arrays["_extra"] = pa.array([extras[j] for j in keep], pa.string())
    arrays["_line"] = pa.array([parsed.lines[ok[j]] for j in keep], pa.int64())
    return Validated(table=pa.table(arrays), rejected=errors)


def _required_mask(f: Field, row_types: list | None) -> bool | list[bool]:
    if f.required:
        return True
    if f.required_for and row_types is not None:
        wanted = set(f.required_for)
        return [t in wanted for t in row_types]
    return False


def _convert_column(
    f: Field, values: list, required: bool | list[bool], textual: bool, contract: Contract, now: datetime
) -> tuple[pa.Array | list, dict[int, str]]:
    """Convert a column to its kind; return converted values and ``{row: reason}`` for bad rows."""
    if textual:
        values = [None if v is None or v == "" or v == "NULL" else v for v in values]
    bad: dict[int, str] = {}
    if required is True:
        bad.update((j, f"missing_field:{f.name}") for j, v in enumerate(values) if _absent(v))
    elif required:
        bad.update(
            (j, f"missing_field:{f.name}")
            for j, (v, r) in enumerate(zip(values, required, strict=True))
            if r and v is None
        )
    converted = _fast_path(f, values, textual, contract, now)
    if converted is None:
        converted = list(values)
        convert = _converter(f, textual, contract, now)
        for j, v in enumerate(values):
            if v is None or j in bad:
                converted[j] = None
                continue
            try:
                converted[j] = convert(v)
            except Invalid as exc:
                bad[j] = f"{exc.args[0]}:{f.name}"
                converted[j] = None
    return converted, bad


def _absent(value: object) -> bool:
    """Null, empty or only whitespace: no value (an id of spaces identifies nothing)."""
    return value is None or (value.__class__ is str and not value.strip())


def _fast_path(f: Field, values: list, textual: bool, contract: Contract, now: datetime) -> pa.Array | None:
    """Whole-column conversion when every value is valid, else None (fall back to value by value)."""
    kind, present = f.kind, [v for v in values if v is not None]
    if kind in ("string", "text", "enum"):
        if not all(v.__class__ is str for v in present):
            return None
        if kind == "enum" and not set(present).issubset(f.values):
            return None
        return pa.array(values, pa.string())
    if textual:
        return None
    if kind == "timestamp":
        if not all(v.__class__ is str for v in present):
            return None
        try:
            parsed = pc.cast(pa.array(values, pa.string()), f.arrow_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        bounds = pc.min_max(parsed)
        lo, hi = bounds["min"].as_py(), bounds["max"].as_py()
        earliest, latest = time_bounds(contract, f, now)
        return None if lo is not None and (lo < earliest or hi > latest) else parsed
    if kind == "boolean":
        return pa.array(values, pa.bool_()) if all(v.__class__ is bool for v in present) else None
    numeric = (int,) if kind == "integer" else (int, float)
    if kind in ("integer", "number") and all(v.__class__ in numeric for v in present):
        if kind == "number" and not all(math.isfinite(v) for v in present):
            return None
        return pa.array(values, f.arrow_type) if _in_range(f, present) else None
    return None


def time_bounds(contract: Contract, f: Field, now: datetime) -> tuple[datetime, datetime]:
    """Accepted span of a timestamp: the event time may not lie in the future (beyond clock skew); other
    times (a billing period's end, say) may."""
    return EARLIEST, (now + FUTURE_TOLERANCE if f.name == contract.time_field else LATEST)


def _in_range(f: Field, present: list) -> bool:
    if not present:
        return True
    lo, hi = min(present), max(present)
    if f.kind == "integer" and (lo < INT64[0] or hi > INT64[1]):
        return False
    return (f.minimum is None or lo >= f.minimum) and (f.maximum is None or hi <= f.maximum)


def _converter(f: Field, textual: bool, contract: Contract, now: datetime):
    kind = f.kind

    def check_range(v):
        if (f.minimum is not None and v < f.minimum) or (f.maximum is not None and v > f.maximum):
            raise Invalid("out_of_range")
        if kind == "integer" and not INT64[0] <= v <= INT64[1]:
            raise Invalid("out_of_range")
        return v

    def to_str(v):
        if v.__class__ is not str:
            raise Invalid("bad_type")
        return v

    unlisted = f"not_in_seed:{f.seed.rsplit('/', 1)[-1]}" if f.seed else "bad_value"

    def to_enum(v):
        if v not in f.values:
            raise Invalid(unlisted if v.__class__ is str else "bad_type")
        return v

    def to_ip(v):
        try:
            ipaddress.ip_address(to_str(v))
        except ValueError:
            raise Invalid("bad_type") from None
        return v

    earliest, latest = time_bounds(contract, f, now)

    def to_timestamp(v):
        if isinstance(v, datetime):
            ts = v
        elif v.__class__ is str:
            try:
                ts = datetime.fromisoformat(v)
            except ValueError:
                raise Invalid("bad_type") from None
        else:
            raise Invalid("bad_type")
        if ts.tzinfo is None:
            if not contract.naive_timestamps_are_utc:
                raise Invalid("bad_type")  # a time without a zone is ambiguous
            ts = ts.replace(tzinfo=UTC)
        ts = ts.astimezone(UTC)
        if ts < earliest or ts > latest:
            raise Invalid("out_of_range")
        return ts

    def to_int(v):
        if textual and v.__class__ is str:
            try:
                v = int(v)
            except ValueError:
                try:
                    v = float(v)
                except ValueError:
                    raise Invalid("bad_type") from None
        if v.__class__ is float and v.is_integer():
            v = int(v)
        if v.__class__ is not int:
            raise Invalid("bad_type")
        return check_range(v)

    def to_float(v):
        if textual and v.__class__ is str:
            try:
                v = float(v)
            except ValueError:
                raise Invalid("bad_type") from None
        if v.__class__ is int:
            v = float(v)
        if v.__class__ is not float:
            raise Invalid("bad_type")
        if not math.isfinite(v):
            raise Invalid("out_of_range")
        return check_range(v)

    def to_bool(v):
        if v.__class__ is bool:
            return v
        if textual and v.__class__ is str:
            low = v.strip().lower()
            if low in TEXT_TRUE:
                return True
            if low in TEXT_FALSE:
                return False
        raise Invalid("bad_type")

    def to_json(v):
        if v.__class__ is str:
            try:
                v = orjson.loads(v)
            except orjson.JSONDecodeError:
                raise Invalid("bad_type") from None
        if not isinstance(v, dict | list):
            raise Invalid("bad_type")
        return orjson.dumps(v, option=orjson.OPT_SORT_KEYS).decode()

    return {
        "string": to_str,
        "text": to_str,
        "enum": to_enum,
        "ip": to_ip,
        "timestamp": to_timestamp,
        "integer": to_int,
        "number": to_float,
        "boolean": to_bool,
        "json": to_json,
    }[kind]


def _take(f: Field, column: pa.Array | list, keep: list[int], take: pa.Array) -> pa.Array:
    if isinstance(column, pa.Array):
        return column if len(keep) == len(column) else column.take(take)
    return pa.array([column[j] for j in keep], f.arrow_type)


def _extra(record: dict, known: set[str]) -> str | None:
    extra = {k: v for k, v in record.items() if k not in known}
    return orjson.dumps(extra, option=orjson.OPT_SORT_KEYS, default=str).decode() if extra else None


def content_id(content: str, occurrences: dict[str, int]) -> str:
    """Id of a content-identified row: SHA-256 of its content and its occurrence number in the input.

    Two genuinely identical line items stay two rows, while a re-delivered file maps onto the same ids.
    """
    n = occurrences.get(content, 0)
    occurrences[content] = n + 1
    return hashlib.sha256(f"{content}#{n}".encode()).hexdigest()


def row_content(record: dict) -> str:
    """A row's content as text: its non-null fields, sorted by name (the fast path builds the same)."""
    return "".join(f"{k}\x1f{v}\x1e" for k, v in sorted(record.items()) if v is not None)


def _derive(contract: Contract, records: list[dict], occurrences: dict[str, int]) -> list[dict]:
    """Fill the derived identity fields of content-identified rows (FOCUS cost): id, time, tenant."""
    out = []
    for r in records:
        d = dict(r)
        if contract.id_from_content:
            d["event_id"] = content_id(row_content(r), occurrences)
            d["occurred_at"] = r.get(contract.field(contract.time_from).input_name)
        if contract.tenant_tag_keys:
            d["tenant_id"] = tenant_from_tags(r.get("Tags"), contract)
        out.append(d)
    return out


def tenant_from_tags(tags: object, contract: Contract) -> str | None:
    if isinstance(tags, str) and tags not in ("", "NULL"):
        try:
            tags = orjson.loads(tags)
        except orjson.JSONDecodeError:
            return contract.default_tenant  # the Tags column itself is reported as bad_type
    if isinstance(tags, dict):
        for key in contract.tenant_tag_keys:
            value = tags.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()
    return contract.default_tenant
