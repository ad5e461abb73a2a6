"""``lake/governance/quality_results``: one row per evaluated expectation, one Delta append per check run."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from opslake import lake
from opslake.settings import Settings
from opslake.tables import QUALITY_RESULTS

SCHEMA = pa.schema(
    [
        pa.field("asset", pa.string(), nullable=False),  # bronze/usage, marts/dora_metrics_monthly
        pa.field("check", pa.string(), nullable=False),  # schema, nullability, ..., volume
        pa.field("expectation", pa.string(), nullable=False),  # the GE expectation type
        pa.field("column", pa.string()),
        pa.field("severity", pa.string(), nullable=False),  # error or warn
        pa.field("passed", pa.bool_(), nullable=False),
        pa.field("observed_value", pa.string()),  # JSON
        pa.field("expected", pa.string()),  # JSON: the expectation's arguments
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("checked_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("partitions", pa.string()),  # bronze: the event dates of the run, first..last
        pa.field("table_version", pa.int64()),  # Delta version of a lake table when checked
    ]
)


@dataclass(frozen=True)
class Result:
    """The outcome of one expectation."""

    asset: str
    check: str
    expectation: str
    column: str | None
    severity: str
    passed: bool
    observed_value: object
    expected: object


def record(
    settings: Settings,
    results: list[Result],
    run_id: str,
    checked_at: dt.datetime,
    partitions: str | None = None,
    table_version: int | None = None,
) -> None:
    """Append the results of one check run in one transaction."""
    rows = [
        {
            **asdict(r),
            "observed_value": _json(r.observed_value),
            "expected": _json(r.expected),
            "run_id": run_id,
            "checked_at": checked_at,
            "partitions": partitions,
            "table_version": table_version,
        }
        for r in results
    ]
    lake.append(settings.table_uri("governance", QUALITY_RESULTS), pa.Table.from_pylist(rows, schema=SCHEMA))


def _json(value: object) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def observed_history(settings: Settings, asset: str, check: str, limit: int) -> list[int]:
    """The last ``limit`` numbers observed by a check of an asset (a mart's row counts), oldest first."""
    filter = (ds.field("asset") == asset) & (ds.field("check") == check)
    rows = lake.read_table(
        settings.table_uri("governance", QUALITY_RESULTS), ["observed_value", "checked_at"], filter
    )
    if rows is None or rows.num_rows == 0:
        return []
    rows = rows.take(pc.sort_indices(rows, [("checked_at", "ascending")]))
    values = [orjson.loads(v) for v in rows["observed_value"].to_pylist()[-limit:]]
    return [int(v) for v in values if isinstance(v, int | float)]
