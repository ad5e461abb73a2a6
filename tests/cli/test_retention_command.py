"""`opslake retention`: removes what privacy/retention.yml says is expired, reports it per table, and applied again
removes nothing more."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import yaml
from deltalake import DeltaTable, write_deltalake

from opslake import lake
from opslake.settings import PROJECT_ROOT
from opslake.tables import PRIVILEGED_OPERATIONS, QUALITY_RESULTS
from tests.fixtures.cli import opslake
from tests.fixtures.lake_tables import usage, write_lake_table

AGES = (0, 3, 60, 120, 121, 300, 450, 700)  # days before today; none within a day of a period's end


def _policy_days() -> dict[str, int]:
    """The periods as the reviewed file states them (read here, not through the code under test)."""
    tables = yaml.safe_load((PROJECT_ROOT / "privacy" / "retention.yml").read_text())["tables"]
    return {name: rule["days"] for name, rule in tables.items()}


def _craft(settings, today: dt.date) -> dict[str, list[dt.date]]:
    """Usage (bronze and silver), audit and quality results of every age in AGES; the dates of each table's rows."""
    days = [today - dt.timedelta(days=age) for age in AGES]
    usage_rows = [usage(i, day) for day in days for i in range(2)]  # two rows a day
    write_lake_table(settings, "bronze", "usage", usage_rows)
    write_lake_table(settings, "silver", "usage", usage_rows)
    audit_rows = [
        {
            "event_id": f"aud-{day}",
            "occurred_at": dt.datetime.combine(day, dt.time(9), dt.UTC),
            "tenant_id": "t-1",
        }
        for day in days
    ]
    write_lake_table(settings, "bronze", "audit", audit_rows)
    checked = [dt.datetime.combine(day, dt.time(12), dt.UTC) for day in days]
    write_deltalake(
        settings.table_uri("governance", QUALITY_RESULTS),
        pa.table({"checked_at": pa.array(checked, pa.timestamp("us", tz="UTC"))}),
    )
    pairs = [d for d in days for _ in range(2)]
    return {
        "bronze/usage": pairs,
        "silver/usage": pairs,
        "bronze/audit": days,
        "governance/quality_results": days,
    }


def _versions(settings, tables) -> dict[str, int]:
    return {t: DeltaTable(settings.table_uri(*t.split("/"))).version() for t in tables}


def test_retention_removes_the_expired_rows_it_reports_and_nothing_more_when_applied_again(settings):
    today = dt.datetime.now(dt.UTC).date()
    dates = _craft(settings, today)
    periods = _policy_days()
    expected = {}
    for table, days in dates.items():
        cutoff = today - dt.timedelta(days=periods[table])
        gone = [d for d in days if d < cutoff]
        partitions = len(set(gone)) if table != "governance/quality_results" else 0  # it is not partitioned
        expected[table] = {"cutoff": cutoff.isoformat(), "rows": len(gone), "partitions": partitions}
    assert expected["bronze/usage"]["rows"] == 10 and expected["bronze/audit"]["rows"] == 2  # 120 .. 700 days
    before = _versions(settings, dates)

    dry = json.loads(opslake(settings, "retention", "--dry-run", "--json", check=True).stdout)
    assert dry["dry_run"] and dry["today"] == today.isoformat()
    assert {t["table"]: _counts(t) for t in dry["tables"]} == expected
    assert _versions(settings, dates) == before  # a dry run changes nothing, and is not recorded
    assert lake.open_table(settings.table_uri("governance", PRIVILEGED_OPERATIONS)) is None

    applied = json.loads(opslake(settings, "retention", "--json", check=True).stdout)
    assert {t["table"]: _counts(t) for t in applied["tables"]} == expected
    for table, days in dates.items():
        column = "checked_at" if table == "governance/quality_results" else "event_date"
        kept = lake.read_table(settings.table_uri(*table.split("/")), [column])[column].to_pylist()
        kept = [k.date() if isinstance(k, dt.datetime) else k for k in kept]
        cutoff = dt.date.fromisoformat(expected[table]["cutoff"])
        assert sorted(kept) == sorted(d for d in days if d >= cutoff), table
    after = _versions(settings, dates)

    again = opslake(settings, "retention", "--json", check=True)
    assert {
        t["table"]: (t["rows"], t["partitions"]) for t in json.loads(again.stdout)["tables"]
    } == dict.fromkeys(dates, (0, 0))
    assert _versions(settings, dates) == after  # nothing committed
    shown = opslake(settings, "retention", check=True)
    assert all(table in shown.stdout for table in dates)
    operations = lake.read_table(settings.table_uri("governance", PRIVILEGED_OPERATIONS)).sort_by(
        "started_at"
    )
    assert operations["operation"].to_pylist() == ["retention"] * 3  # the three that applied it
    assert [len(json.loads(d)["removed"]) for d in operations["details"].to_pylist()] == [4, 0, 0]


def _counts(record: dict) -> dict:
    return {k: record[k] for k in ("cutoff", "rows", "partitions")}
