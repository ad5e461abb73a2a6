"""Hostile input, class by class, through `opslake ingest` as a user runs it.

For every class: a report is printed, ``read == accepted + duplicates + quarantined``, every quarantined record
has exactly one quarantine row holding its raw bytes and a reason, and no traceback reaches the user. The
expected counts are worked out by hand from the files each case writes.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gzip
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cli.app import app
from ingestion.contracts import CONTRACTS
from ingestion.pipeline import ingest
from opslake import lake
from opslake.settings import Settings
from tests.fixtures.lake_tables import read_bronze, read_quarantine
from tests.fixtures.records import audit

NOISE = random.Random(11).randbytes(6000)


def example(domain: str, i: int, **overrides) -> dict:
    """A valid record of a domain built from its contract's examples, with its own id."""
    record = {f.input_name: f.example for f in CONTRACTS[domain].fields}
    record.update(event_id=f"{domain}-{i}", **overrides)
    return {k: v for k, v in record.items() if v is not ...}


def with_token(record: dict, name: str, token: bytes) -> bytes:
    """A record as a JSON line whose ``name`` holds ``token`` verbatim (what no JSON encoder writes)."""
    return orjson.dumps({**record, name: "\x00"}).replace(b'"\\u0000"', token)


def jsonl(*records: dict | bytes, end: bytes = b"\n") -> bytes:
    return b"".join((orjson.dumps(r) if isinstance(r, dict) else r) + end for r in records)


def audit_csv(rows: list[dict], header: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or list(rows[0]), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


@dataclass
class Case:
    """Files to write (name -> bytes), what to ingest, and the outcome worked out by hand."""

    files: dict[str, bytes]
    accepted: int
    duplicates: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    domain: str = "audit"
    args: list[str] | None = None  # paths to pass, relative to the case's folder; default: every file
    before: dict[str, bytes] = field(default_factory=dict)  # ingested first, by an earlier run
    skipped: int = 0
    exact_raw: bool = True  # quarantined raw bytes appear as they are in the files
    check: Callable[[Settings, dict], None] | None = None  # further checks on the lake after the run


def _days(n: int) -> dict[str, bytes]:
    """``n`` daily files of 5 audit events each, 2026-08-01 onwards (one date per file)."""
    out = {}
    for d in range(n):
        day = dt.date(2026, 8, 1) + dt.timedelta(days=d)
        recs = [audit(d * 10 + k, occurred_at=f"{day}T10:0{k}:00Z") for k in range(5)]
        out[f"day-{d:02d}.jsonl"] = jsonl(*recs)
    return out


def _many_dates_then_a_redelivery() -> Case:
    files = _days(60)
    files["zz-redelivered.jsonl"] = files["day-00.jsonl"]  # a renamed copy of the first day, last
    return Case(files, accepted=300, duplicates=5)


def _lines_shift_after_blank_crlf_line(settings: Settings, report: dict) -> None:
    lines = sorted(read_bronze(settings, "audit")["_line"].to_pylist())
    assert lines == [1, 2, 3, 5, 6, 7]


def _both_versions_findable(settings: Settings, report: dict) -> None:
    kept = read_bronze(settings, "audit").to_pylist()
    assert [r["outcome"] for r in kept if r["event_id"] == "aud-1"] == ["success"]
    q = [r for r in _quarantine(settings) if r["reason"] == "conflicting_duplicate"]
    assert len(q) == 1 and orjson.loads(q[0]["raw_bytes"])["event_id"] == "aud-1"
    assert "aud-1" in q[0]["errors"] and "line 1" in q[0]["errors"]  # names the version held


def _same_bytes_per_domain(settings: Settings, report: dict) -> None:
    domains = sorted({r["domain"] for r in _quarantine(settings)})
    assert domains == ["audit", "usage"]


RANDOM_CSV_LINES = NOISE.count(b"\n")

CASES: dict[str, Callable[[], Case]] = {
    "more than 48 event dates, then a redelivered day": _many_dates_then_a_redelivery,
    "the same id on another date in a later run": lambda: Case(
        {"b.jsonl": jsonl(audit(1, occurred_at="2026-11-20T10:00:00Z"))},
        accepted=0,
        reasons={"conflicting_duplicate": 1},
        before={"a.jsonl": jsonl(audit(1))},
    ),
    "the same id with other content in one file": lambda: Case(
        {"a.jsonl": jsonl(audit(1), audit(1, outcome="failure"))},
        accepted=1,
        reasons={"conflicting_duplicate": 1},
        check=_both_versions_findable,
    ),
    "the same event in two files of one call": lambda: Case(
        {"a.jsonl": jsonl(audit(1), audit(2)), "b.jsonl.gz": gzip.compress(jsonl(audit(2), audit(3)))},
        accepted=3,
        duplicates=1,
    ),
    "the same event as JSON and as CSV": lambda: Case(
        {"a.jsonl": jsonl(audit(1)), "b.csv": audit_csv([{**audit(1), "mfa_used": "true"}])},
        accepted=1,
        duplicates=1,
    ),
    "an id of spaces": lambda: Case(
        {"a.jsonl": jsonl(audit(1), audit(2, event_id="   "))},
        accepted=1,
        reasons={"missing_field:event_id": 1},
    ),
    "invalid UTF-8 in an otherwise clean block": lambda: Case(
        {
            "a.jsonl": jsonl(*(audit(i) for i in range(10)))
            + with_token(audit(10), "actor_name", b'"\xff\xfe"')
            + b"\n"
        },
        accepted=10,
        reasons={"not_utf8": 1},
    ),
    "an integer above int64": lambda: Case(
        {
            "a.jsonl": jsonl(example("usage", 1))
            + with_token(example("usage", 2), "requests", b"9223372036854775808")
            + b"\n"
        },
        domain="usage",
        accepted=1,
        reasons={"out_of_range:requests": 1},
    ),
    "an integer written as 1e30": lambda: Case(
        {
            "a.jsonl": jsonl(example("usage", 1))
            + with_token(example("usage", 2), "requests", b"1e30")
            + b"\n"
        },
        domain="usage",
        accepted=1,
        reasons={"out_of_range:requests": 1},
    ),
    "a negative quantity": lambda: Case(
        {"a.jsonl": jsonl(example("usage", 1), example("usage", 2, requests=-4))},
        domain="usage",
        accepted=1,
        reasons={"out_of_range:requests": 1},
    ),
    "NaN and Infinity tokens": lambda: Case(
        {
            "a.jsonl": jsonl(example("usage", 1))
            + with_token(example("usage", 2), "latency_ms_p50", b"NaN")
            + b"\n"
            + with_token(example("usage", 3), "latency_ms_p50", b"Infinity")
            + b"\n"
        },
        domain="usage",
        accepted=1,
        reasons={"invalid_json": 2},
    ),
    "NaN and inf in CSV cells": lambda: Case(
        {
            "a.csv": audit_csv(
                [
                    example("usage", 1),
                    example("usage", 2, latency_ms_p50="NaN"),
                    example("usage", 3, compute_units="inf"),
                ]
            )
        },
        domain="usage",
        accepted=1,
        reasons={"out_of_range:latency_ms_p50": 1, "out_of_range:compute_units": 1},
    ),
    "a .csv.gz cut short": lambda: Case(
        {
            "a.csv.gz": gzip.compress(audit_csv([{**audit(i), "mfa_used": "true"} for i in range(3000)]))[
                :9000
            ]
        },
        accepted=-1,  # some: whatever the intact part holds
        reasons={"corrupt_file:EOFError": 1},
    ),
    "a .csv.gz that is not gzip": lambda: Case(
        {"a.csv.gz": audit_csv([{**audit(1), "mfa_used": "true"}])},
        accepted=0,
        reasons={"corrupt_file:BadGzipFile": 1},
    ),
    "a .jsonl.gz of random bytes": lambda: Case(
        {"a.jsonl.gz": NOISE}, accepted=0, reasons={"corrupt_file:BadGzipFile": 1}
    ),
    "a zero-byte .parquet": lambda: Case(
        {"a.parquet": b""}, accepted=0, reasons={"corrupt_file:ArrowInvalid": 1}
    ),
    "random bytes as .parquet": lambda: Case(
        {"a.parquet": NOISE}, accepted=0, reasons={"corrupt_file:ArrowInvalid": 1}
    ),
    "random bytes as .jsonl": lambda: Case({"a.jsonl": NOISE}, accepted=0, reasons={"*": -1}),
    "random bytes as .json": lambda: Case({"a.json": NOISE}, accepted=0, reasons={"*": -1}),
    "random bytes as .csv": lambda: Case({"a.csv": NOISE}, accepted=0, reasons={"*": -1}),
    "the same bytes as two domains": lambda: Case(
        {"a.jsonl": jsonl(b"[1]", b"[2]")},
        domain="usage",
        accepted=0,
        reasons={"not_an_object": 2},
        before={"a.jsonl": jsonl(b"[1]", b"[2]")},
        check=_same_bytes_per_domain,
    ),
    "the same bytes as JSON lines and as CSV": lambda: Case(
        {"a.csv": b"x\n[1]\n"},
        accepted=0,
        reasons={"missing_field:event_id": 1},
        before={"a.jsonl": b"x\n[1]\n"},
        check=lambda settings, _: _quarantine_count(settings, 3),
    ),
    "CRLF line ends and a blank CRLF line": lambda: Case(
        {
            "a.jsonl": jsonl(audit(1), audit(2), audit(3), end=b"\r\n")
            + b"\r\n"
            + jsonl(audit(4), audit(5), audit(6), end=b"\r\n")
        },
        accepted=6,
        check=_lines_shift_after_blank_crlf_line,
    ),
    "a byte-order mark": lambda: Case({"a.jsonl": b"\xef\xbb\xbf" + jsonl(audit(1), audit(2))}, accepted=2),
    "a JSON array instead of lines": lambda: Case(
        {"a.json": orjson.dumps([audit(1), audit(2), 3], option=orjson.OPT_INDENT_2)},
        accepted=2,
        reasons={"not_an_object": 1},
        exact_raw=False,
    ),
    "lines that are not objects": lambda: Case(
        {"a.jsonl": jsonl(audit(1), b"null", b"42", b'"text"', b"[]")},
        accepted=1,
        reasons={"not_an_object": 4},
    ),
    "nested values of the wrong type": lambda: Case(
        {"a.jsonl": jsonl(example("delivery", 1), example("delivery", 2, commits="abc"))},
        domain="delivery",
        accepted=1,
        reasons={"bad_type:commits": 1},
    ),
    "a time without a zone": lambda: Case(
        {"a.jsonl": jsonl(audit(1), audit(2, occurred_at="2026-11-01T10:00:00"))},
        accepted=1,
        reasons={"bad_type:occurred_at": 1},
    ),
    "an impossible date": lambda: Case(
        {"a.jsonl": jsonl(audit(1), audit(2, occurred_at="2026-02-30T10:00:00Z"))},
        accepted=1,
        reasons={"bad_type:occurred_at": 1},
    ),
    "dates out of range": lambda: Case(
        {
            "a.jsonl": jsonl(
                audit(1),
                audit(2, occurred_at="1969-12-31T23:00:00Z"),
                audit(3, occurred_at="2999-01-01T00:00:00Z"),
            )
        },
        accepted=1,
        reasons={"out_of_range:occurred_at": 2},
    ),
    "a key given twice": lambda: Case(
        {"a.jsonl": jsonl(audit(1), orjson.dumps(audit(2))[:-1] + b',"event_id":"aud-3"}')},
        accepted=1,
        reasons={"duplicate_key:event_id": 1},
    ),
    "ragged CSV rows": lambda: Case(
        {"a.csv": audit_csv([{**audit(1), "mfa_used": "true"}]) + b"only,three,cells\n"},
        accepted=1,
        reasons={"bad_csv_row": 1},
    ),
    "a renamed CSV column": lambda: Case(
        {"a.csv": audit_csv([{**audit(1), "mfa_used": "true"}]).replace(b"actor_id", b"actorId", 1)},
        accepted=0,
        reasons={"missing_field:actor_id": 1},
    ),
    "missing CSV columns": lambda: Case(
        {
            "a.csv": audit_csv(
                [{**audit(1), "mfa_used": "true"}],
                header=[
                    "event_id",
                    "occurred_at",
                    "tenant_id",
                    "actor_id",
                    "actor_type",
                    "action",
                    "outcome",
                ],
            ),
            "b.csv": audit_csv([audit(2)], header=["event_id", "occurred_at", "actor_id"]),
        },
        accepted=1,
        reasons={"missing_field:tenant_id": 1},
    ),
    "Parquet with the wrong types": lambda: Case(
        {
            "a.parquet": parquet(
                pa.Table.from_pylist([audit(1), audit(2, mfa_used=...)]).set_column(
                    7, "mfa_used", pa.array(["yes", None])
                )
            )
        },
        accepted=1,
        reasons={"bad_type:mfa_used": 1},
        exact_raw=False,
    ),
    "multi-member gzip": lambda: Case(
        {
            "a.jsonl.gz": gzip.compress(jsonl(audit(1))) + gzip.compress(jsonl(audit(2))),
            "b.csv.gz": gzip.compress(audit_csv([{**audit(3), "mfa_used": "true"}]))
            + gzip.compress(audit_csv([{**audit(4), "mfa_used": "true"}]).split(b"\n", 1)[1]),
        },
        accepted=4,
    ),
    "zero-byte files": lambda: Case(
        {"a.jsonl": b"", "b.csv": b"", "c.jsonl.gz": b"", "d.json": b""}, accepted=0
    ),
    "a folder": lambda: Case(
        {"in/a.jsonl": jsonl(audit(1)), "in/deeper/b.jsonl": jsonl(audit(2))}, accepted=2, args=["in"]
    ),
    "a missing path beside a good file": lambda: Case(
        {"a.jsonl": jsonl(audit(1))}, accepted=1, args=["a.jsonl", "nowhere.jsonl"], skipped=1
    ),
    "a type opslake does not read": lambda: Case(
        {"a.jsonl": jsonl(audit(1)), "b.xml": b"<a/>"}, accepted=1, skipped=1
    ),
    "the same file twice in one call": lambda: Case(
        {"a.jsonl": jsonl(audit(1), audit(2))}, accepted=2, args=["a.jsonl", "a.jsonl", "./a.jsonl"]
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_is_accounted_for_and_never_crashes(name, settings, tmp_path):
    case = CASES[name]()
    for folder, files in (("before", case.before), ("in", case.files)):
        for rel, data in files.items():
            (tmp_path / folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / folder / rel).write_bytes(data)
    if case.before:
        ingest(settings, "audit", sorted((tmp_path / "before").iterdir()))
    quarantined_before = len(_quarantine(settings))
    stored_before = lake.row_count(settings.table_uri("bronze", case.domain)) or 0
    args = [str(tmp_path / "in" / a) for a in case.args or sorted(case.files)]
    result = CliRunner().invoke(app, ["ingest", case.domain, *args, "--json"], env=settings.env())

    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert result.exit_code == (1 if case.skipped else 0), result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["read"] == report["accepted"] + report["duplicates"] + report["quarantined"]
    assert len(report["skipped"]) == case.skipped
    if case.accepted >= 0:
        assert report["accepted"] == case.accepted
    else:
        assert report["accepted"] > 0
    assert report["duplicates"] == case.duplicates
    if "*" in case.reasons:  # random bytes: nothing accepted, every line accounted for by some reason
        assert report["quarantined"] == report["read"] > 0
    else:
        assert report["reasons"] == case.reasons
        assert report["quarantined"] == sum(case.reasons.values())

    rows = _quarantine(settings)[quarantined_before:]
    assert len(rows) == report["quarantined"]  # one row per quarantined record, even for repeated bytes
    assert len({(r["domain"], r["source_sha256"], r["source_file"], r["line"]) for r in rows}) == len(rows)
    contents = _contents(tmp_path / "in")
    for row in rows:
        assert row["reason"] and row["raw_bytes"] is not None
        if case.exact_raw:
            assert any(row["raw_bytes"] in c for c in contents), row
    stored = lake.row_count(settings.table_uri("bronze", case.domain)) or 0
    assert stored == stored_before + report["accepted"]
    if case.check:
        case.check(settings, report)


def test_ingesting_the_same_hostile_files_again_writes_nothing_new(settings, tmp_path):
    files = {
        name: CASES[name]().files
        for name in ("a .csv.gz that is not gzip", "invalid UTF-8 in an otherwise clean block")
    }
    paths = []
    for i, group in enumerate(files.values()):
        for rel, data in group.items():
            path = tmp_path / str(i) / rel
            path.parent.mkdir(parents=True)
            path.write_bytes(data)
            paths.append(path)
    first = ingest(settings, "audit", paths)
    before = (read_bronze(settings, "audit").num_rows, len(_quarantine(settings)))
    again = ingest(settings, "audit", paths)
    assert (again.accepted, again.duplicates, again.quarantined) == (0, first.accepted, first.quarantined)
    assert (read_bronze(settings, "audit").num_rows, len(_quarantine(settings))) == before


def test_an_unknown_domain_is_a_sentence_with_the_domains(settings, tmp_path):
    result = CliRunner().invoke(app, ["ingest", "sales", str(tmp_path)], env=settings.env())
    assert result.exit_code == 2
    assert "unknown domain 'sales'" in result.output and "audit" in result.output and "next:" in result.output
    assert "Traceback" not in result.output


def _contents(folder: Path) -> list[bytes]:
    out = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            out.append(data)
            if path.suffix == ".gz":
                with gzip.open(path) as f, contextlib.suppress(OSError, EOFError):
                    out.append(f.read1(1 << 30))  # a damaged stream: what precedes the damage
                with contextlib.suppress(OSError, EOFError):
                    out.append(gzip.decompress(data))
    return out


def _quarantine(settings: Settings) -> list[dict]:
    """Quarantine rows, oldest first: a case's own rows are those after the count taken before it ran."""
    table = read_quarantine(settings)
    return (
        table.sort_by([("quarantined_at", "ascending"), ("line", "ascending")]).to_pylist()
        if table.num_rows
        else []
    )


def _quarantine_count(settings: Settings, n: int) -> None:
    assert len(_quarantine(settings)) == n


def test_a_bad_file_in_landing_is_quarantined_whole_and_archived_and_the_good_ones_go_on(settings):
    from ingestion.landing import event_date_range, ingest_landing, pending_files

    folder = settings.landing_dir("audit")
    folder.mkdir(parents=True)
    (folder / "a-broken.parquet").write_bytes(NOISE)
    (folder / "b-cut.csv.gz").write_bytes(b"\x1f\x8b not really gzip")
    (folder / "c-good.jsonl").write_bytes(jsonl(audit(1), audit(2)))
    assert event_date_range("audit", pending_files(settings, "audit")) == (
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 3),
    )
    report = ingest_landing(settings, "audit")
    assert (report.read, report.accepted, report.quarantined) == (4, 2, 2)
    assert list(folder.iterdir()) == []  # nothing waits behind a bad file
    assert sorted(p.name.split("-", 1)[1] for p in (settings.archive / "audit").iterdir()) == [
        "a-broken.parquet",
        "b-cut.csv.gz",
        "c-good.jsonl",
    ]
    whole = {r["source_file"].rsplit("/", 1)[1]: r for r in _quarantine(settings)}
    assert whole["a-broken.parquet"]["raw_bytes"] == NOISE and whole["a-broken.parquet"]["line"] == 0
    assert whole["b-cut.csv.gz"]["reason"].startswith("corrupt_file:")
