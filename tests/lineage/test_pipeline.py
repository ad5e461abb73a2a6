"""After `opslake run`: the stored lineage matches the warehouse it describes, and every step left its events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict

from deltalake import DeltaTable

from lineage.build import read_graph
from lineage.openlineage import EVENTS_FILE

LAYERS = ("staging", "intermediate", "marts")


def test_every_warehouse_table_has_its_columns_in_the_lineage(built_lake):
    graph = read_graph(built_lake.settings)
    assert graph is not None
    rows = built_lake.query(
        "select table_schema, table_name, column_name from information_schema.columns "
        f"where table_schema in {LAYERS!r}"
    )
    warehouse = defaultdict(set)
    for schema, table, column in rows:
        warehouse[f"{schema}.{table}"].add(column)
    assert warehouse
    for table, columns in warehouse.items():
        assert set(graph.columns(table)) == columns, table


def test_gold_copies_and_masking_are_edges(built_lake):
    graph = read_graph(built_lake.settings)
    marts = {t for t in graph.tables if t.startswith("marts.")}
    for mart in marts:
        name = mart.split(".", 1)[1]
        gold = DeltaTable(built_lake.settings.table_uri("gold", name)).schema().to_arrow()
        assert set(graph.columns(f"gold.{name}")) == set(gold.names), name
    email = {(e.source, e.transformation) for e in graph.inputs("silver.audit", "actor_email")}
    assert email == {("bronze.audit", "pseudonymize")}
    assert {e.transformation for e in graph.inputs("silver.audit", "source_ip")} == {"generalize"}


def test_every_step_and_model_has_a_start_then_a_complete(built_lake):
    path = built_lake.settings.openlineage_dir / EVENTS_FILE
    events = [json.loads(line) for line in path.read_text().splitlines()]
    runs = defaultdict(list)
    for e in events:
        runs[(e["job"]["name"], e["run"]["runId"])].append(e["eventType"])
    assert all(states == ["START", "COMPLETE"] for states in runs.values()), runs
    jobs = {job for job, _ in runs}
    assert {"bronze.audit", "silver.audit", "governance.lineage_edges"} <= jobs
    models = {
        f"{s}.{t}"
        for s, t in built_lake.query(
            f"select table_schema, table_name from information_schema.tables where table_schema in {LAYERS!r}"
        )
    }
    assert {f"dbt.{m}" for m in models} <= jobs


def test_opslake_lineage_answers_impact_questions(built_lake):
    env = {**os.environ, **built_lake.settings.env()}

    def lineage(*args: str) -> dict:
        out = subprocess.run(
            [sys.executable, "-m", "cli", "lineage", *args, "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(out.stdout)

    down = lineage("bronze.audit.actor_email", "--downstream")
    assert "upstream" not in down
    assert {"silver.audit.actor_email", "staging.stg_silver__audit_events.actor_email"} <= {
        r["target"] for r in down["downstream"]
    }
    graph = read_graph(built_lake.settings)
    mart = sorted(t for t in graph.tables if t.startswith("marts."))[0]
    column = graph.columns(mart)[0]
    up = lineage(f"{mart}.{column}", "--upstream")
    assert all(s.split(".")[0] in ("landing", "bronze") for s in up["sources"])
    assert {r["target"] for r in up["upstream"] if r["depth"] == 1} == {f"{mart}.{column}"}
    out = subprocess.run(
        [sys.executable, "-m", "cli", "lineage", "marts.no_such.column"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 2 and "no column" in out.stderr
