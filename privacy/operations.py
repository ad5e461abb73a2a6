"""The audit trail of opslake's own privileged operations (erasure, retention, re-identification, raw access)."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterator
from contextlib import contextmanager

import orjson
import pyarrow as pa

from opslake import lake
from opslake.settings import Settings
from opslake.tables import PRIVILEGED_OPERATIONS

SCHEMA = pa.schema(
    [
        ("operation", pa.string()),
        ("actor", pa.string()),
        ("details", pa.string()),  # JSON; pseudonymous keys only, never the personal data itself
        ("outcome", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("finished_at", pa.timestamp("us", tz="UTC")),
    ]
)


@contextmanager
def privileged(settings: Settings, operation: str, details: dict) -> Iterator[dict]:
    """Record the operation, whatever its outcome; the caller may add details (counts) to the dict it gets."""
    started = dt.datetime.now(dt.UTC)
    outcome = "failed"
    try:
        yield details
        outcome = "succeeded"
    finally:
        row = {
            "operation": operation,
            "actor": getpass.getuser(),
            "details": orjson.dumps(details, default=str).decode(),
            "outcome": outcome,
            "started_at": started,
            "finished_at": dt.datetime.now(dt.UTC),
        }
        lake.append(
            settings.table_uri("governance", PRIVILEGED_OPERATIONS),
            pa.Table.from_pylist([row], schema=SCHEMA),
        )
