"""Loading lake tables into the warehouse: appended rows only while a table only grows, a full copy otherwise."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from opslake import lake
from opslake.tables import LakeTable
from opslake.warehouse import LOADS, VersionGone, load_sources

T0 = dt.datetime(2026, 9, 14, 8, 0, tzinfo=dt.UTC)
USAGE = LakeTable("silver", "usage")


def _rows(ids: range, ingested: dt.datetime) -> pa.Table:
    return pa.table(
        {
            "event_id": [f"e-{i}" for i in ids],
            "event_date": [dt.date(2026, 9, 14)] * len(ids),
            "_ingested_at": pa.array([ingested] * len(ids), pa.timestamp("us", tz="UTC")),
        }
    )


def _copy(settings) -> list[str]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        return [r[0] for r in con.execute("select event_id from silver.usage order by event_id").fetchall()]


def test_appends_only_new_rows_then_reloads_after_a_delete(settings):
    uri = settings.table_uri("silver", "usage")
    lake.append(uri, _rows(range(0, 3), T0), partition_by=["event_date"])
    assert load_sources(settings, [USAGE, LakeTable("silver", "audit")]) == {
        "silver.usage": 3
    }  # a table not in the lake is skipped
    assert load_sources(settings, [USAGE]) == {"silver.usage": 0}  # same version: nothing to do
    lake.append(uri, _rows(range(3, 5), T0 + dt.timedelta(hours=1)), partition_by=["event_date"])
    assert load_sources(settings, [USAGE]) == {"silver.usage": 2}  # appended rows only
    assert _copy(settings) == [f"e-{i}" for i in range(5)]

    DeltaTable(uri).delete("event_id = 'e-1'")  # an erasure: the copy must lose the row too
    assert load_sources(settings, [USAGE]) == {"silver.usage": 4}
    assert _copy(settings) == ["e-0", "e-2", "e-3", "e-4"]


def test_a_new_silver_column_rebuilds_the_copy(settings):
    uri = settings.table_uri("silver", "usage")
    lake.append(uri, _rows(range(0, 2), T0), partition_by=["event_date"])
    load_sources(settings, [USAGE])
    wider = _rows(range(2, 3), T0 + dt.timedelta(hours=1)).append_column("region", pa.array(["eu-west-1"]))
    lake.append(uri, wider, partition_by=["event_date"], evolve=True)
    assert load_sources(settings, [USAGE]) == {"silver.usage": 3}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        regions = con.execute("select region from silver.usage order by event_id").fetchall()
    assert regions == [(None,), (None,), ("eu-west-1",)]


def test_a_table_without_a_high_water_mark_is_copied_whole_when_it_changes(settings):
    uri = settings.table_uri("governance", "erasure_log")
    log = LakeTable("governance", "erasure_log")
    lake.append(uri, pa.table({"subject_key": ["a", "b"]}))
    assert load_sources(settings, [log]) == {"governance.erasure_log": 2}
    lake.append(uri, pa.table({"subject_key": ["c"]}))
    assert load_sources(settings, [log]) == {"governance.erasure_log": 3}
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select count(*) from governance.erasure_log").fetchone()[0] == 3


def test_pinned_versions_load_the_lake_as_it_was_until_a_purge_removes_them(settings):
    """Time travel for re-computation: the copy holds the version's rows (and records that version); a table not
    pinned is not loaded; once history is purged (erasure, retention), the version is gone with a sentence."""
    uri = settings.table_uri("silver", "usage")
    lake.append(uri, _rows(range(0, 3), T0), partition_by=["event_date"])
    lake.append(uri, _rows(range(3, 5), T0 + dt.timedelta(hours=1)), partition_by=["event_date"])
    DeltaTable(uri).delete("event_id = 'e-1'")  # version 2
    pinned = {"silver.usage": 1}
    assert load_sources(settings, [USAGE, LakeTable("silver", "audit")], versions=pinned) == {
        "silver.usage": 5
    }
    assert _copy(settings) == [f"e-{i}" for i in range(5)]
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute(f"select table_name, version from {LOADS}").fetchall() == [("silver.usage", 1)]

    settings.warehouse.unlink()
    DeltaTable(uri).vacuum(retention_hours=0, enforce_retention_duration=False, dry_run=False)
    with pytest.raises(VersionGone):  # the log still names version 1's files, a vacuum removed one
        load_sources(settings, [USAGE], versions=pinned)

    lake.purge_history(DeltaTable(uri))
    with pytest.raises(VersionGone, match=r"^version 1 of silver.usage is no longer in the lake$"):
        load_sources(settings, [USAGE], versions=pinned)
    assert load_sources(settings, [USAGE], versions={"silver.usage": DeltaTable(uri).version()}) == {
        "silver.usage": 4
    }
