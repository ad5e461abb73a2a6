"""`opslake catalog`: the published tables with their columns, types, meanings, definitions and sources, as text
or JSON; an unknown table or an empty home is said in a sentence."""

from __future__ import annotations

import json

import duckdb

from opslake.publication import current_path
from opslake.settings import PROJECT_ROOT
from tests.fixtures.cli import opslake


def _published(built_lake) -> dict[str, dict[str, tuple[str, str]]]:
    """Table -> column -> (type, comment), read from the published file itself."""
    with duckdb.connect(str(current_path(built_lake.settings)), read_only=True) as con:
        rows = con.execute(
            "select schema_name, table_name, column_name, lower(data_type), comment from duckdb_columns() "
            "where database_name = current_database()"
        ).fetchall()
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for schema, table, column, data_type, comment in rows:
        found.setdefault(table if schema == "marts" else f"{schema}.{table}", {})[column] = (
            data_type,
            comment,
        )
    return found


def test_json_lists_every_published_table_with_its_columns_types_and_meanings(built_lake):
    out = opslake(built_lake.settings, "catalog", "--format", "json", check=True)
    tables = {t["name"]: t for t in json.loads(out.stdout)["tables"]}
    published = _published(built_lake)
    assert set(tables) == set(published)
    for name, columns in published.items():
        assert {c["name"]: (c["type"], c["meaning"]) for c in tables[name]["columns"]} == columns
    assert list(tables)[0] == "compliance_controls"  # marts first, by name
    assert tables["cost_daily"]["rows"] == built_lake.query("select count(*) from marts.cost_daily")[0][0]


def test_a_mart_links_its_definition_and_what_it_is_built_from(built_lake):
    out = opslake(built_lake.settings, "catalog", "dora_metrics_monthly", "--format", "json", check=True)
    [mart] = json.loads(out.stdout)["tables"]
    assert mart["definition"] == "docs/metrics.md#dora_metrics_monthly"
    assert "\n## dora_metrics_monthly\n" in (PROJECT_ROOT / "docs" / "metrics.md").read_text()  # the anchor
    assert "int_lake_as_of" in mart["built_from"]
    assert "silver.delivery" in mart["sources"]  # where its lineage starts: the masked lake tables
    health = opslake(built_lake.settings, "catalog", "health.freshness", "--format", "json", check=True)
    [freshness] = json.loads(health.stdout)["tables"]
    assert freshness["definition"] is None and "silver.audit" in freshness["sources"]


def test_text_shows_a_table_its_meaning_lineage_and_columns(built_lake):
    out = opslake(built_lake.settings, "catalog", "slo_burn_alerts", check=True)
    published = _published(built_lake)["slo_burn_alerts"]
    for column, (data_type, _) in published.items():
        assert column in out.stdout and data_type in out.stdout
    assert "docs/metrics.md#slo_burn_alerts" in out.stdout
    assert "built from" in out.stdout
    overview = opslake(built_lake.settings, "catalog", check=True)
    assert all(name in overview.stdout for name in ("cost_daily", "health.freshness", "opslake.publication"))


def test_an_unknown_table_lists_the_published_ones(built_lake):
    out = opslake(built_lake.settings, "catalog", "stg_silver__audit")
    assert out.returncode == 2
    assert "the publication has no table 'stg_silver__audit'" in out.stderr
    assert "cost_daily" in out.stderr and "Traceback" not in out.stderr


def test_nothing_published_says_to_run_a_build(settings):
    out = opslake(settings, "catalog")
    assert out.returncode == 2
    assert "nothing has been published yet" in out.stderr and "opslake run" in out.stderr
