"""Column lineage of one compiled SQL query, resolved with sqlglot against the schemas of the tables it reads.

Every output column is traced through CTEs, subqueries, unions and ``select *`` (expanded from the schema) down
to the columns of physical tables. The kind of each (output column, input column) pair is the strongest step on
the way: ``identity`` (or ``rename``), ``cast``, ``expression``, ``aggregation``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.lineage import Node, lineage
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope
from sqlglot.schema import MappingSchema

DIALECT = "duckdb"
KINDS = ("identity", "cast", "expression", "aggregation")  # weakest to strongest
GENERATORS = (exp.GenerateSeries, exp.GenerateDateArray, exp.Unnest, exp.Explode)
GENERATOR_NAMES = {"range", "generate_series", "unnest"}
Relation = tuple[str, str, str]  # (catalog, schema, table), lower case; "" where the query leaves it out


class SqlLineageError(ValueError):
    """The query cannot be parsed or resolved: only table-level lineage is known."""


@dataclass(frozen=True)
class ColumnSource:
    """One input of an output column: a column of a table (``relation`` None: not resolvable)."""

    relation: Relation | None
    column: str  # "*" when the input is a whole table (an unexpanded star)
    kind: str
    external: str = ""  # the path a table function reads (read_parquet('...')): an input outside the graph


@dataclass(frozen=True)
class QueryLineage:
    columns: list[str]  # output columns, in order
    sources: dict[str, list[ColumnSource]]  # output column -> its inputs


def query_lineage(sql: str, schema: dict[str, dict[str, dict[str, dict[str, str]]]]) -> QueryLineage:
    """Trace every output column of ``sql``; ``schema`` is ``{catalog: {schema: {table: {column: type}}}}``."""
    mapping = MappingSchema(schema, dialect=DIALECT, normalize=False)
    try:
        parsed = sqlglot.parse_one(sql, dialect=DIALECT)
        qualified = qualify(
            parsed,
            dialect=DIALECT,
            schema=mapping,
            validate_qualify_columns=False,
            identify=False,
            quote_identifiers=False,
        )
        scope = build_scope(qualified)
        if scope is None or not isinstance(qualified, exp.Query):
            raise SqlLineageError("not a query")
        roots = lineage(None, qualified, mapping, dialect=DIALECT, scope=scope, trim_selects=False)
    except (SqlglotError, RecursionError, KeyError, AttributeError, ValueError) as e:
        raise SqlLineageError(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}") from e
    columns = list(roots)
    if any(c in ("", "*") for c in columns):
        raise SqlLineageError("the output has an unexpanded `*` (an input's columns are unknown)")
    return QueryLineage(columns, {name: _sources(name, root) for name, root in roots.items()})


def _sources(name: str, root: Node) -> list[ColumnSource]:
    found: dict[tuple, int] = {}
    stack = [(root, 0, frozenset(), "")]
    while stack:
        node, strength, seen, through_star = stack.pop()
        if id(node) in seen:
            continue
        if isinstance(node.expression, exp.Table | exp.Placeholder):
            key = _leaf(node, through_star)
            if key is not None:
                found[key] = max(found.get(key, 0), strength)
            continue
        strength = max(strength, _strength(node.expression))
        # A column picked from `select *` of a table whose columns are unknown is that table's column.
        star = node.name.rsplit(".", 1)[-1].strip('"') if isinstance(node.expression, exp.Star) else ""
        for child in node.downstream:
            stack.append((child, strength, seen | {id(node)}, star))
    out = []
    for (relation, column, external), strength in sorted(found.items(), key=str):
        kind = KINDS[strength]
        if kind == "identity" and column not in (name, "*"):
            kind = "rename"
        out.append(ColumnSource(relation, column, kind, external))
    return out


def _leaf(node: Node, through_star: str) -> tuple | None:
    """(relation, column, external input) of a lineage leaf; None for generated rows (generate_series, ...)."""
    column = node.name.rsplit(".", 1)[-1].strip('"') or "*"
    if column == "*" and through_star not in ("", "*"):
        column = through_star
    table = node.expression
    if not isinstance(table, exp.Table):
        return (None, column, "")
    if isinstance(table.this, GENERATORS) or (
        isinstance(table.this, exp.Anonymous) and table.this.name.lower() in GENERATOR_NAMES
    ):
        return None
    if isinstance(table.this, exp.Func):  # read_parquet('...'), delta_scan('...'), ...: outside the graph
        paths = [s.name for s in table.this.find_all(exp.Literal) if s.is_string]
        return (None, column, paths[0] if paths else table.this.sql(dialect=DIALECT))
    return ((table.catalog.lower(), table.db.lower(), table.name.lower()), column, "")


def _strength(expression: exp.Expr) -> int:
    inner = expression.this if isinstance(expression, exp.Alias) else expression
    if isinstance(inner, exp.Column | exp.Star | exp.Table):
        return 0
    if isinstance(inner, exp.Cast | exp.TryCast) and isinstance(inner.this, exp.Column):
        return 1
    if inner.find(exp.AggFunc):
        return 3
    return 2
