"""A restated FOCUS export replaces its billing period's rows; the one it supersedes stays findable in bronze.

Worked from the FinOps Foundation sample: the expected totals are summed in decimal from the CSV text, and the
restated group's size is counted from its ProviderName, BillingAccountId and BillingPeriodStart cells.
"""

from __future__ import annotations

import csv
from decimal import Decimal

import duckdb
from deltalake import write_deltalake

from ingestion.pipeline import ingest
from opslake import dbt_project, lake
from opslake.warehouse import load_sources
from tests.fixtures.records import FOCUS_SAMPLE

GROUP = ("ProviderName", "BillingAccountId", "BillingPeriodStart")
RESTATED = Decimal("2.23")


def test_a_restated_export_supersedes_its_billing_period_and_a_late_old_copy_changes_nothing(
    settings, tmp_path
):
    with open(FOCUS_SAMPLE, newline="") as f:
        reader = csv.DictReader(f)
        header, rows = reader.fieldnames, list(reader)
    changed = next(i for i, r in enumerate(rows) if r["BilledCost"] not in ("NULL", "0", "0.0"))
    group = tuple(rows[changed][c] for c in GROUP)
    group_size = sum(tuple(r[c] for c in GROUP) == group for r in rows)
    assert 1 < group_size < len(rows)  # the sample has several groups: only one is restated
    restated = [dict(r) for r in reversed(rows)]  # an export may list its rows in any order
    restated[len(rows) - 1 - changed]["BilledCost"] = str(Decimal(rows[changed]["BilledCost"]) + RESTATED)
    path = tmp_path / "focus-restated.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(restated)

    first = ingest(settings, "cost", [FOCUS_SAMPLE])
    second = ingest(settings, "cost", [path])
    late_copy = ingest(settings, "cost", [FOCUS_SAMPLE])
    assert (first.accepted, first.duplicates) == (len(rows), 0)
    assert (second.accepted, second.duplicates) == (
        group_size,
        len(rows) - group_size,
    )  # only the restated export
    assert (late_copy.accepted, late_copy.duplicates) == (0, len(rows))

    bronze = lake.read_table(settings.table_uri("bronze", "cost"))
    assert bronze.num_rows == len(rows) + group_size  # the superseded export is still there
    assert len(set(bronze["export_id"].to_pylist())) == len({tuple(r[c] for c in GROUP) for r in rows}) + 1

    write_deltalake(
        settings.table_uri("silver", "cost"), bronze, partition_by=["event_date"]
    )  # no personal data
    load_sources(settings)
    dbt_project.run(
        settings, ["run", "--select", "stg_silver__cost_line_items"], dbt_project.build_dir(settings)
    )
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        staged = [
            v
            for (v,) in con.execute("select billed_cost from staging.stg_silver__cost_line_items").fetchall()
        ]
    billed = sum(
        Decimal(repr(v)) for v in staged if v is not None
    )  # each double as the decimal it was written as
    expected = sum(Decimal(r["BilledCost"]) for r in rows if r["BilledCost"] != "NULL") + RESTATED
    assert len(staged) == len(rows)
    assert billed == expected
