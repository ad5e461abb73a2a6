"""The Arrow fast path and the record-by-record path must accept the same records with the same values."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from ingestion.contracts import CONTRACTS
from ingestion.fastpath import validate_block
from ingestion.readers import parse_jsonl_block
from ingestion.validate import validate
from tests.ingestion.records import BROKEN_AUDIT, audit

NOW = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)


def _block(records: list[dict]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def _varied_audit(n: int) -> list[dict]:
    offsets = ["Z", "+00:00", "+05:30", "-08:00"]
    out = []
    for i in range(n):
        extra = {"mfa_used": ...} if i % 5 == 0 else {}
        if i % 7 == 0:
            extra["source_ip"] = "2001:db8::1"
        if i % 3 == 0:
            extra["message"] = f"Jane Doe exported {i} rows ✓"
        out.append(audit(i, occurred_at=f"2026-11-0{1 + i % 3}T10:{i % 60:02d}:00{offsets[i % 4]}", **extra))
    return out


def test_both_paths_accept_the_same_rows_with_the_same_values():
    block = _block(_varied_audit(500))
    contract = CONTRACTS["audit"]
    fast = validate_block(contract, 1, block, NOW)
    slow = validate(contract, parse_jsonl_block(1, block), NOW)
    assert fast is not None, "a clean block must take the fast path"
    assert slow.rejected == {}
    assert fast.table.to_pylist() == slow.table.select(fast.table.column_names).to_pylist()


@pytest.mark.parametrize(("line", "reason"), BROKEN_AUDIT, ids=[r for _, r in BROKEN_AUDIT])
def test_any_bad_record_sends_the_block_to_the_record_by_record_path(line, reason):
    raw = orjson.dumps(line) if isinstance(line, dict) else line.encode() if isinstance(line, str) else line
    block = _block([audit(1)]) + raw + b"\n"
    assert validate_block(CONTRACTS["audit"], 1, block, NOW) is None


def test_unknown_fields_and_blank_lines_take_the_record_by_record_path():
    assert validate_block(CONTRACTS["audit"], 1, _block([audit(1, vendor="x")]), NOW) is None
    assert validate_block(CONTRACTS["audit"], 1, _block([audit(1)]) + b"\n" + _block([audit(2)]), NOW) is None
