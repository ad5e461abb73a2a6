"""Hand-written records for ingestion tests: valid ones, and one broken variant per quarantine reason."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson


def audit(i: int, **overrides) -> dict:
    """A valid audit event with id ``aud-<i>`` on 2026-11-01 + (i % 3) days."""
    record = {
        "event_id": f"aud-{i}",
        "occurred_at": f"2026-11-0{1 + i % 3}T10:{i % 60:02d}:00Z",
        "tenant_id": "t-acme",
        "actor_id": f"u-{i % 7}",
        "actor_type": "user",
        "action": "auth.login",
        "outcome": "success",
        "mfa_used": True,
        "source_ip": "203.0.113.9",
    }
    record.update(overrides)
    return {k: v for k, v in record.items() if v is not ...}


def write_jsonl(path: Path, lines: list[dict | bytes | str]) -> Path:
    """Write records (dicts as JSON, bytes and str as they are) one per line; gzip when the name ends .gz."""
    body = b"".join(
        (orjson.dumps(x) if isinstance(x, dict) else x.encode() if isinstance(x, str) else x) + b"\n"
        for x in lines
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(body) if path.suffix == ".gz" else body)
    return path


# One broken line per quarantine reason, with the reason a reader of the contract expects.
BROKEN_AUDIT: list[tuple[bytes | str | dict, str]] = [
    (b'{"event_id": "x1", "actor_name": "\xff\xfe"}', "not_utf8"),
    ('{"event_id": "x2", ', "invalid_json"),
    ("[1, 2, 3]", "not_an_object"),
    (audit(900, tenant_id=...), "missing_field:tenant_id"),
    (audit(901, event_id=""), "missing_field:event_id"),
    (audit(902, occurred_at="yesterday"), "bad_type:occurred_at"),
    (audit(903, occurred_at="2026-11-01T10:00:00"), "bad_type:occurred_at"),  # no UTC offset
    (audit(904, occurred_at="1970-01-01T00:00:00Z"), "out_of_range:occurred_at"),
    (audit(905, occurred_at="2999-01-01T00:00:00Z"), "out_of_range:occurred_at"),
    (audit(906, mfa_used="yes"), "bad_type:mfa_used"),
    (audit(907, actor_type="robot"), "bad_value:actor_type"),
    (audit(908, source_ip="300.1.2.3"), "bad_type:source_ip"),
    (audit(909, actor_id=42), "bad_type:actor_id"),
]
