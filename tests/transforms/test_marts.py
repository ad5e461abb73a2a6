"""What every mart owes its users: an enforced, documented contract, unit tests that pass, a gold Delta copy
equal to the warehouse table, and read-only analyst access through `opslake sql`."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from deltalake import DeltaTable
from typer.testing import CliRunner

from cli.app import app
from opslake.dbt_project import PROJECT_DIR

# Every model file under marts/ is a mart (read from the files, not from the manifest under test).
MARTS = sorted(p.stem for p in (PROJECT_DIR / "transforms" / "models" / "marts").rglob("*.sql"))


@pytest.fixture(scope="module")
def nodes(parsed_dbt) -> dict:
    return json.loads((parsed_dbt / "manifest.json").read_text())


def _mart_node(nodes: dict, name: str) -> dict:
    return next(n for n in nodes["nodes"].values() if n["resource_type"] == "model" and n["name"] == name)


def test_the_issue_s_marts_all_exist():
    expected = {
        "flow_metrics_weekly", "flow_metrics_art_weekly", "flow_metrics_portfolio_monthly", "flow_predictability",
        "dora_metrics_monthly", "slo_daily", "slo_burn_alerts", "incident_metrics_monthly", "cost_daily",
        "cost_allocation_monthly", "compliance_controls", "compliance_exceptions", "tenant_usage_monthly",
    }  # fmt: skip
    assert expected <= set(MARTS)


@pytest.mark.parametrize("mart", MARTS)
def test_mart_contract_is_enforced_and_every_column_is_described(nodes, mart):
    node = _mart_node(nodes, mart)
    assert node["config"]["contract"]["enforced"] is True
    assert node["description"].strip()
    assert "tenant_id" in node["columns"]
    for name, column in node["columns"].items():
        assert column["description"].strip(), f"{mart}.{name} has no description"
        assert column["data_type"], f"{mart}.{name} has no data type"


def test_every_mart_has_unit_tests_and_they_pass(built_lake, nodes):
    tested = {n["model"] for n in nodes["unit_tests"].values()}
    assert set(MARTS) <= tested, f"marts without unit tests: {sorted(set(MARTS) - tested)}"
    results = [
        r
        for r in built_lake.dbt("test", "--select", "test_type:unit")
        if r["unique_id"].startswith("unit_test.")
    ]
    failed = [r["unique_id"] for r in results if r["status"] != "pass"]
    assert len(results) == len(nodes["unit_tests"]) and not failed


@pytest.mark.parametrize("mart", MARTS)
def test_gold_copy_equals_the_warehouse_mart(built_lake, mart):
    gold = pa.table(DeltaTable(built_lake.settings.table_uri("gold", mart)).to_pyarrow_table())
    columns = [r[0] for r in built_lake.query(f"describe marts.{mart}")]
    assert gold.column_names == columns
    warehouse = built_lake.query(f"select * from marts.{mart} order by all")
    assert sorted(gold.to_pylist(), key=_sort_key) == sorted(
        (dict(zip(columns, row, strict=True)) for row in warehouse), key=_sort_key
    )


def _sort_key(row: dict) -> str:
    return json.dumps(row, default=str, sort_keys=True)


def test_opslake_sql_reads_marts_but_not_files_or_writes(built_lake, monkeypatch):
    monkeypatch.setenv("OPSLAKE_HOME", str(built_lake.settings.home))
    runner = CliRunner()
    mart = MARTS[0]
    expected = built_lake.query(f"select count(*) from marts.{mart}")[0][0]
    ok = runner.invoke(app, ["sql", f"select count(*) as n from {mart}", "--format", "json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.output.strip()) == {"n": expected}
    bronze = built_lake.settings.table_uri("bronze", "audit")
    for forbidden in (
        f"select * from read_parquet('{bronze}/**/*.parquet')",  # raw personal data stays out of reach
        f"create table marts.copy as select * from {mart}",
        "set enable_external_access = true",
    ):
        refused = runner.invoke(app, ["sql", forbidden])
        assert refused.exit_code == 2, forbidden
