"""Publication: a build's marts become a read-only file that readers open, swapped in atomically, that the DuckDB
CLI analysts install (1.5) reads, and that holds the record of its build."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from opslake.publication import KEEP, NotPublished, current, open_current, publish
from opslake.warehouse import LOADS
from quality.results import Result, record

NEWEST = {
    "audit": dt.datetime(2026, 11, 3, 12, tzinfo=dt.UTC),
    "usage": dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC),
}


def _build(settings, rows: int) -> None:
    """A build warehouse as a run leaves it: two marts, silver copies with event times, the loads record."""
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists silver")
        con.execute("create or replace table marts.cost_daily as select range as n from range(?)", [rows])
        con.execute("create or replace table marts.slo_daily as select 'checkout' as service")
        for domain, newest in NEWEST.items():
            con.execute(
                f"create or replace table silver.{domain} as select ?::timestamptz as occurred_at", [newest]
            )
        con.execute(f"create or replace table {LOADS} (table_name varchar, version bigint)")
        con.execute(f"insert into {LOADS} values ('silver.audit', 4), ('silver.usage', 7)")


def test_nothing_published_yet_is_said(settings):
    with pytest.raises(NotPublished, match="nothing has been published yet"):
        current(settings)


def test_a_publication_holds_the_marts_and_the_record_of_its_build(settings):
    _build(settings, 3)
    published = publish(settings, "build-1")
    record = current(settings)
    assert record == published
    assert (record.build_id, record.tables, record.lake_versions) == (
        "build-1",
        {"cost_daily": 3, "slo_daily": 1, "health.daily_volume": 2, "health.freshness": 2},
        {"silver.audit": 4, "silver.usage": 7},
    )
    assert record.as_of == min(NEWEST.values())  # every feed is known up to the oldest of the newest events
    assert record.path == settings.published / "warehouse-build-1.duckdb"
    with open_current(settings) as con:
        assert con.execute("select count(*) from cost_daily").fetchall() == [(3,)]  # marts on the search path
        schemas = {r[0] for r in con.execute("select schema_name from duckdb_tables()").fetchall()}
    assert schemas == {"marts", "health", "opslake"}  # no silver, no staging: marts, health and the record


def test_the_analyst_connection_reads_no_file_and_writes_nothing(settings, tmp_path):
    _build(settings, 1)
    publish(settings, "build-1")
    secret = tmp_path / "raw.csv"
    secret.write_text("email\njane@acme.example\n")
    with open_current(settings) as con:
        with pytest.raises(duckdb.Error):
            con.execute(f"select * from read_csv('{secret}')")
        with pytest.raises(duckdb.Error):
            con.execute("create table marts.x as select 1")
        with pytest.raises(duckdb.Error):
            con.execute("set enable_external_access = true")


def test_a_reader_keeps_its_build_while_the_next_one_is_published(settings):
    _build(settings, 2)
    publish(settings, "build-1")
    with open_current(settings) as old:
        _build(
            settings, 5
        )  # the build warehouse is written while a reader holds the publication: no conflict
        publish(settings, "build-2")
        assert old.execute("select build_id from opslake.publication").fetchall() == [("build-1",)]
        assert old.execute("select count(*) from cost_daily").fetchall() == [(2,)]
    assert current(settings).build_id == "build-2"
    with open_current(settings) as new:
        assert new.execute("select count(*) from cost_daily").fetchall() == [(5,)]


def test_old_publications_are_pruned_but_the_last_ones_kept(settings):
    for i in range(KEEP + 2):
        _build(settings, i + 1)
        publish(settings, f"build-{i}")
    kept = sorted(p.name for p in settings.published.glob("warehouse-*.duckdb"))
    assert kept == sorted(f"warehouse-build-{i}.duckdb" for i in range(2, KEEP + 2))
    assert list(settings.published.glob("*.partial")) == []


def test_the_duckdb_cli_analysts_install_reads_the_publication(settings):
    _build(settings, 4)
    path = publish(settings, "build-1").path
    cli = Path(sys.executable).with_name("duckdb")  # duckdb-cli 1.5 from PyPI, a dev dependency
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1.5")
    sql = "select build_id, (select count(*) from marts.cost_daily) from opslake.publication"
    out = subprocess.run(
        [str(cli), "-readonly", "-csv", str(path), "-c", sql], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[1] == "build-1,4"


def test_the_health_tables_hold_counts_and_names_never_a_checked_value(settings):
    """A failed check's sample of unexpected values may be raw bronze data: the publication keeps its counts."""
    _build(settings, 1)
    checked = dt.datetime(2026, 11, 3, 13, tzinfo=dt.UTC)
    sample = {"element_count": 40, "unexpected_count": 2, "partial_unexpected_list": ["jane@acme.example"]}
    record(
        settings,
        [
            Result("bronze/audit", "format", "expect_column_values_to_match_regex", "actor_email", "warn", False,
                   sample, {"regex": ".*"}),
            Result("marts/cost_daily", "volume", "expect_table_row_count_to_be_between", None, "warn", True, 3,
                   {"min_value": 1}),
        ],
        "run-1",
        checked,
    )  # fmt: skip
    publish(settings, "build-1")
    with open_current(settings) as con:
        rows = con.execute(
            "select asset, layer, table_name, passed, observed, element_count, unexpected_count "
            "from health.quality_results order by asset"
        ).fetchall()
        assert rows == [
            ("bronze/audit", "bronze", "audit", False, None, 40, 2),
            ("marts/cost_daily", "marts", "cost_daily", True, 3.0, None, None),
        ]
        everything = " ".join(
            str(v)
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'health'"
            ).fetchall()
            for row in con.execute(f"select * from health.{name}").fetchall()
            for v in row
        )
        assert "jane@acme.example" not in everything
        assert dict(con.execute("select domain, newest_event_at from health.freshness").fetchall()) == NEWEST
