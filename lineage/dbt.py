"""Column lineage of the dbt project, from a compiled manifest: every model's SQL resolved with sqlglot.

Tables are named as the warehouse (and the lake) names them: a model ``<schema>.<alias>``, a seed
``seeds.<name>``, a source ``<source>.<table>`` (sources are named after the lake layer the warehouse copies
them from, so source ``silver`` *is* the silver table). Exposures become ``<type>.<name>`` (``dashboard.ops``)
and consume every column of the models they depend on, or the ones their ``meta.columns`` lists.
Models are resolved in dependency order, so each one's columns expand the ``select *`` of the next.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lineage.graph import ALL, CONSTANT, UNKNOWN, Edge
from lineage.sql import ColumnSource, QueryLineage, SqlLineageError, query_lineage

SQL_NODES = ("model", "snapshot")
ColumnsOf = Callable[[str], list[str] | None]  # a source table's columns (None: unknown)


@dataclass
class DbtLineage:
    edges: list[Edge] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)  # table -> its columns, in order
    warnings: list[str] = field(default_factory=list)
    tables: dict[str, str] = field(default_factory=dict)  # dbt unique_id -> table name


def table_name(props: dict) -> str:
    """The name of a manifest node, source or exposure in the lineage graph."""
    kind = props["resource_type"]
    if kind == "source":
        return f"{props['source_name']}.{props['identifier']}"
    if kind == "exposure":
        return f"{props['type']}.{props['name']}"
    return f"{props['schema']}.{props.get('alias') or props['name']}"


def dbt_lineage(manifest: dict, source_columns: ColumnsOf) -> DbtLineage:
    """Edges into every model, snapshot and exposure of the manifest."""
    out = DbtLineage()
    relations: dict[tuple[str, str, str], str] = {}
    for uid, props in [*manifest["nodes"].items(), *manifest["sources"].items()]:
        if props["resource_type"] not in (*SQL_NODES, "seed", "source"):
            continue
        name = out.tables[uid] = table_name(props)
        identifier = props.get("identifier") or props.get("alias") or props["name"]
        relations[(props["database"] or "").lower(), props["schema"].lower(), identifier.lower()] = name
        if props["resource_type"] == "source":
            out.columns[name] = source_columns(name) or list(props.get("columns", {}))
        elif props["resource_type"] == "seed":
            out.columns[name] = _seed_columns(props)
    for uid in _in_dependency_order(manifest):
        _model(manifest["nodes"][uid], out, relations)
    for uid, props in manifest.get("exposures", {}).items():
        out.edges += _exposure_edges(uid, props, out)
    return out


def _model(props: dict, out: DbtLineage, relations: dict) -> None:
    name, uid = out.tables[props["unique_id"]], props["unique_id"]
    inputs = [out.tables[u] for u in props["depends_on"]["nodes"] if u in out.tables]
    schema: dict = {}
    for (catalog, db, table), table_name_ in relations.items():
        if table_name_ in out.columns:
            schema.setdefault(catalog, {}).setdefault(db, {})[table] = dict.fromkeys(
                out.columns[table_name_], "VARCHAR"
            )
    try:
        if not props.get("compiled_code"):
            raise SqlLineageError("dbt did not compile it")
        found = query_lineage(props["compiled_code"], schema)
    except SqlLineageError as e:
        out.warnings.append(f"{name}: unknown lineage: table-level only ({e})")
        out.columns[name] = list(props.get("columns", {}))
        out.edges += [Edge(t, ALL, name, ALL, UNKNOWN, uid) for t in inputs]
        return
    out.columns[name] = found.columns
    out.edges += _column_edges(found, name, uid, inputs, relations, out.warnings)


def _column_edges(
    found: QueryLineage, name: str, uid: str, inputs: list[str], relations: dict, warnings: list[str]
) -> list[Edge]:
    edges = []
    for column, sources in found.sources.items():
        if not sources:
            edges.append(Edge("", "", name, column, CONSTANT, uid))
        for s in sources:
            table = _resolve(s, relations)
            if table is not None:
                edges.append(Edge(table, s.column, name, column, s.kind if s.column != ALL else UNKNOWN, uid))
                continue
            external = s.external or (".".join(p for p in s.relation if p) if s.relation else "")
            origin = f"reads {external!r}" if external else f"unresolved column {s.column!r}"
            warnings.append(f"{name}.{column}: unknown lineage ({origin})")
            upstream = [f"external.{external}"] if external else inputs
            edges += [Edge(t, ALL, name, column, UNKNOWN, uid) for t in upstream]
    return edges


def _resolve(source: ColumnSource, relations: dict) -> str | None:
    if source.relation is None:
        return None
    catalog, db, table = source.relation
    if source.relation in relations:
        return relations[source.relation]
    matches = {v for (_, d, t), v in relations.items() if (d, t) == (db, table) or (not db and t == table)}
    return matches.pop() if len(matches) == 1 else None


def _exposure_edges(uid: str, props: dict, out: DbtLineage) -> list[Edge]:
    meta = props.get("meta") or props.get("config", {}).get("meta") or {}
    wanted = set(meta.get("columns") or [])
    name = table_name(props)
    edges = []
    for dep in props["depends_on"]["nodes"]:
        model = out.tables.get(dep)
        if model is None:
            continue
        short = model.split(".", 1)[1]
        for column in out.columns.get(model) or [ALL]:
            if not wanted or column in wanted or f"{short}.{column}" in wanted:
                kind = "identity" if column != ALL else UNKNOWN
                edges.append(Edge(model, column, name, column, kind, uid))
    return edges


def _seed_columns(props: dict) -> list[str]:
    path = Path(props["root_path"]) / props["original_file_path"]
    if not path.exists():
        return list(props.get("columns", {}))
    with path.open(newline="") as f:
        return next(csv.reader(f), [])


def _in_dependency_order(manifest: dict) -> list[str]:
    nodes = {u: p for u, p in manifest["nodes"].items() if p["resource_type"] in SQL_NODES}
    order, seen = [], set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in nodes:
            return
        seen.add(uid)
        for dep in nodes[uid]["depends_on"]["nodes"]:
            visit(dep)
        order.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    return order
