"""The catalog analysts read: every published table with its columns, types and meanings (the comments of the
published file), the definition of its metrics and what it is built from (the dbt manifest).

Types and meanings come from the publication itself, so the catalog describes what an analyst can query now;
the manifest adds only what a file cannot hold: where a mart's definitions are written up and its upstream.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from opslake import dbt_project, health
from opslake.dbt_project import MARTS_SCHEMA
from opslake.publication import analyst_name, open_current
from opslake.settings import Settings

DEFINITIONS = "docs/metrics.md"  # the marts' definitions, generated from their YAML by `opslake metrics`


class UnknownTable(LookupError):
    """The publication has no table of that name."""

    def __init__(self, name: str, tables: list[str]) -> None:
        super().__init__(f"the publication has no table {name!r}")
        self.tables = tables


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    meaning: str


@dataclass(frozen=True)
class Table:
    name: str  # as an analyst queries it: marts unqualified (first on the search path), others schema.table
    meaning: str
    rows: int
    columns: list[Column]
    definition: str | None  # where its metrics are defined (a section of docs/metrics.md), if it is a mart
    built_from: list[str]  # the models, seeds and lake tables it reads directly
    sources: list[str]  # the lake tables and seeds at the start of its lineage


def catalog(settings: Settings, table: str | None = None) -> list[Table]:
    """The published tables (or the one named ``table``), marts first; ``UnknownTable`` for a name the
    publication does not hold, ``NotPublished`` before the first build."""
    with open_current(settings) as con:
        found = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() where database_name = current_database() "
            "order by schema_name <> ?, schema_name, table_name",
            [MARTS_SCHEMA],
        ).fetchall()
        names = {analyst_name(schema, name): (schema, name, comment) for schema, name, comment in found}
        if table is not None and table not in names:
            raise UnknownTable(table, list(names))
        wanted = [table] if table is not None else list(names)
        manifest = dbt_project.load_manifest(dbt_project.prepare_manifest(settings))
        return [_table(con, manifest, name, *names[name]) for name in wanted]


def _table(con, manifest: dict, name: str, schema: str, table: str, comment: str | None) -> Table:
    columns = [
        Column(column, data_type.lower(), meaning or "")
        for column, data_type, meaning in con.execute(
            "select column_name, data_type, comment from duckdb_columns() "
            "where database_name = current_database() and schema_name = ? and table_name = ? order by column_index",
            [schema, table],
        ).fetchall()
    ]
    rows = con.execute(f'select count(*) from "{schema}"."{table}"').fetchall()[0][0]
    node = dbt_project.mart_nodes(manifest).get(table) if schema == MARTS_SCHEMA else None
    if node is not None:
        built_from, sources = _upstream(manifest, node)
        definition = f"{DEFINITIONS}#{node['name']}"
    else:  # a health table or the record, copied from the lake: what it is built from is where it starts
        built_from = sources = health.sources(table) if schema == health.SCHEMA else []
        definition = None
    return Table(name, comment or "", rows, columns, definition, built_from, sources)


def _upstream(manifest: dict, node: dict) -> tuple[list[str], list[str]]:
    """The names ``node`` reads directly, and the sources and seeds its whole upstream starts from."""
    nodes = {**manifest["nodes"], **manifest["sources"]}
    direct = sorted(_label(nodes[uid]) for uid in node["depends_on"]["nodes"])
    origins, seen, todo = set(), set(), list(node["depends_on"]["nodes"])
    while todo:
        uid = todo.pop()
        if uid in seen:
            continue
        seen.add(uid)
        upstream = nodes[uid].get("depends_on", {}).get("nodes", [])
        if nodes[uid]["resource_type"] in ("source", "seed") or not upstream:
            origins.add(_label(nodes[uid]))
        todo += upstream
    return direct, sorted(origins)


def _label(node: dict) -> str:
    if node["resource_type"] == "source":
        return f"{node['source_name']}.{node['name']}"
    if node["resource_type"] == "seed":
        return f"seed {node['name']}"
    return node["name"]


def as_dict(tables: list[Table]) -> dict:
    """The catalog as JSON-ready data: ``{"tables": [...]}`` in catalog order, each table's fields as named in
    ``Table`` and ``Column``."""
    return {"tables": [asdict(t) for t in tables]}
