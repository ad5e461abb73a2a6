"""The Arrow fast path and the record-by-record path must accept the same records with the same values."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from ingestion.contracts import CONTRACTS
from ingestion.fastpath import validate_block, validate_csv
from ingestion.readers import parse_jsonl_block
from ingestion.validate import validate
from tests.fixtures.records import BROKEN_AUDIT, FOCUS_SAMPLE, audit

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


def test_generated_data_takes_the_fast_path_with_the_record_by_record_result(tmp_path):
    from demo import generate
    from ingestion.readers import csv_chunks, jsonl_blocks

    generate(tmp_path, days=4, tenants=3, events=8000, seed=11, end=NOW.date())
    for domain in ("audit", "usage", "incident", "delivery"):
        contract = CONTRACTS[domain]
        for path in sorted((tmp_path / domain).iterdir()):
            for first, block, _ in jsonl_blocks(path):
                fast = validate_block(contract, first, block, NOW)
                slow = validate(contract, parse_jsonl_block(first, block), NOW)
                assert fast is not None and slow.rejected == {}, path
                assert fast.table.to_pylist() == slow.table.select(fast.table.column_names).to_pylist()
    for path in sorted((tmp_path / "cost").iterdir()):
        fast = validate_csv(CONTRACTS["cost"], path, NOW)
        slow = [validate(CONTRACTS["cost"], chunk, NOW) for chunk in csv_chunks(path)]
        assert fast is not None and all(s.rejected == {} for s in slow)
        rows = [r for s in slow for r in s.table.select(fast.table.column_names).to_pylist()]
        assert fast.table.to_pylist() == rows


def test_focus_sample_takes_the_csv_fast_path_with_the_same_ids(tmp_path):
    from ingestion.readers import csv_chunks

    fast = validate_csv(CONTRACTS["cost"], FOCUS_SAMPLE, NOW)
    slow = validate(CONTRACTS["cost"], next(csv_chunks(FOCUS_SAMPLE)), NOW)
    assert fast is not None
    assert fast.table.to_pylist() == slow.table.select(fast.table.column_names).to_pylist()


def test_bad_csv_falls_back(tmp_path):
    lines = FOCUS_SAMPLE.read_text().splitlines()
    (tmp_path / "ragged.csv").write_text("\n".join([lines[0], lines[1], "1,2,3"]) + "\n")
    (tmp_path / "bad_number.csv").write_text(
        "\n".join([lines[0], lines[1].replace("0.00000080000", "cheap", 1)])
    )
    for name in ("ragged.csv", "bad_number.csv"):
        assert validate_csv(CONTRACTS["cost"], tmp_path / name, NOW) is None
