"""Column lineage of the Python steps, derived from what defines them: the contracts (landing -> bronze), the
classification catalog (bronze -> silver, one masking policy per column) and the marts (-> gold).
"""

from __future__ import annotations

from collections.abc import Mapping

from ingestion.contracts import CONTRACTS, Contract
from lineage.graph import Edge
from opslake import lake
from opslake.dbt_project import MARTS_SCHEMA
from opslake.settings import Settings
from privacy.catalog import column_classes
from privacy.classify import ColumnClass

TAGS_INPUT = "Tags"  # the FOCUS column the tenant of a cost row is read from (ingestion.validate)


def ingestion_edges(contract: Contract) -> list[Edge]:
    """landing.<domain> -> bronze.<domain>: contract fields (``source_name`` renames) and derived columns."""
    landing, bronze, via = (
        f"landing.{contract.domain}",
        f"bronze.{contract.domain}",
        f"bronze/{contract.domain}",
    )
    inputs = [f for f in contract.fields if not _derived(contract, f.name)]
    edges = [
        Edge(landing, f.input_name, bronze, f.name, "identity" if f.source_name is None else "rename", via)
        for f in inputs
    ]
    if contract.id_from_content:
        edges += [Edge(landing, f.input_name, bronze, "event_id", "hash", via) for f in inputs]
    if contract.time_from:
        time_input = contract.field(contract.time_from).input_name
        edges.append(Edge(landing, time_input, bronze, contract.time_field, "rename", via))
    if contract.tenant_tag_keys and TAGS_INPUT in {f.input_name for f in inputs}:
        edges.append(Edge(landing, TAGS_INPUT, bronze, "tenant_id", "expression", via))
    time_input = contract.field(contract.time_from).input_name if contract.time_from else contract.time_field
    edges.append(Edge(landing, time_input, bronze, "event_date", "expression", via))
    return edges


def _derived(contract: Contract, name: str) -> bool:
    """Fields ingestion computes instead of reading (content-identified rows: id, time, tenant)."""
    if contract.id_from_content and name in ("event_id", contract.time_field):
        return True
    return bool(contract.tenant_tag_keys) and name == "tenant_id"


def masking_edges(classes: Mapping[tuple[str, str], ColumnClass]) -> list[Edge]:
    """bronze -> silver: the same column through its masking policy; a dropped column has no edge."""
    return [
        Edge(f"bronze.{table}", column, f"silver.{table}", column, cls.policy, f"silver/{table}")
        for (table, column), cls in sorted(classes.items())
        if cls.policy != "drop"
    ]


def step_edges(settings: Settings, table: str) -> list[Edge]:
    """The edges into a table a Python step writes: bronze, silver, or gold (from the columns it published)."""
    layer, name = table.split(".", 1)
    if layer == "bronze" and name in CONTRACTS:
        return ingestion_edges(CONTRACTS[name])
    if layer == "silver" and name in CONTRACTS:
        return [e for e in masking_edges(column_classes(settings)) if e.target == table]
    published = lake.open_table(settings.table_uri("gold", name)) if layer == "gold" else None
    if published is None:
        return []
    return publish_edges({name: [f.name for f in published.schema().fields]})


def publish_edges(marts: Mapping[str, list[str]]) -> list[Edge]:
    """marts -> gold: every mart copied column for column to lake/gold/<mart>."""
    return [
        Edge(f"{MARTS_SCHEMA}.{mart}", column, f"gold.{mart}", column, "identity", f"gold/{mart}")
        for mart, columns in sorted(marts.items())
        for column in columns
    ]
