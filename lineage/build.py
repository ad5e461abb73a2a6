"""The whole column lineage graph, landing files to dashboards, and its table ``lake/governance/lineage_edges``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from ingestion.contracts import CONTRACTS
from lineage.compile import compile_project
from lineage.dbt import dbt_lineage
from lineage.graph import LineageGraph
from lineage.pii import check
from lineage.steps import ingestion_edges, masking_edges, publish_edges
from opslake import lake
from opslake.dbt_project import MARTS_SCHEMA, PROJECT_DIR
from opslake.settings import Settings
from opslake.tables import LINEAGE_EDGES
from privacy.catalog import column_classes
from privacy.classify import ColumnClass

Classes = Mapping[tuple[str, str], ColumnClass]


def build_graph(
    settings: Settings, project_dir: Path = PROJECT_DIR, classes: Classes | None = None
) -> LineageGraph:
    """Lineage of every step: ingestion, masking, every dbt model and exposure, the gold copies."""
    classes = column_classes(settings) if classes is None else classes
    manifest = compile_project(project_dir, settings.lineage_dir)
    dbt = dbt_lineage(manifest, lambda table: _lake_columns(settings, table, classes))
    marts = {t.split(".", 1)[1]: cols for t, cols in dbt.columns.items() if t.startswith(f"{MARTS_SCHEMA}.")}
    edges = [e for c in CONTRACTS.values() for e in ingestion_edges(c)]
    edges += masking_edges(classes) + dbt.edges + publish_edges(marts)
    return LineageGraph(edges, warnings=dbt.warnings, ordered=dbt.columns)


def checked_graph(settings: Settings, project_dir: Path = PROJECT_DIR) -> LineageGraph:
    """The graph, once the PII guard has found no leak in it (else ``PiiLeak`` naming columns and paths)."""
    classes = column_classes(settings)
    graph = build_graph(settings, project_dir, classes)
    check(graph, classes)
    return graph


def _lake_columns(settings: Settings, table: str, classes: Classes) -> list[str] | None:
    """Columns of a lake table a dbt source reads: bronze and silver from the contracts, others as stored."""
    layer, name = table.split(".", 1)
    if layer == "bronze" and name in CONTRACTS:
        return CONTRACTS[name].arrow_schema().names
    if layer == "silver" and name in CONTRACTS:
        return [c for c in CONTRACTS[name].arrow_schema().names if classes[(name, c)].policy != "drop"]
    found = lake.open_table(settings.table_uri(layer, name)) if layer in ("gold", "governance") else None
    return None if found is None else [f.name for f in found.schema().fields]


def write_edges(settings: Settings, graph: LineageGraph) -> int:
    """Overwrite ``lake/governance/lineage_edges`` with the graph (one Delta commit); return the edge count."""
    from deltalake import write_deltalake

    table = graph.to_arrow(dt.datetime.now(dt.UTC))
    write_deltalake(
        settings.table_uri("governance", LINEAGE_EDGES), table, mode="overwrite", schema_mode="overwrite"
    )
    return table.num_rows


def read_graph(settings: Settings) -> LineageGraph | None:
    """The stored graph (None before the first build)."""
    rows = lake.read_table(settings.table_uri("governance", LINEAGE_EDGES))
    return None if rows is None else LineageGraph.from_rows(rows.to_pylist())
