"""The column lineage graph: nodes are ``<layer or schema>.<table>.<column>``, edges say how one feeds another.

A table whose lineage could not be resolved has table-level edges with ``column == "*"`` and transformation
``unknown``: its columns may depend on any column of those inputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import astuple, dataclass, field

import pyarrow as pa

from opslake.dbt_project import MARTS_SCHEMA

UNKNOWN = "unknown"
CONSTANT = "constant"  # a column computed from no input (a literal, now()): its edge has an empty source
ALL = "*"  # the column of a table-level edge
# Layers analysts read: the marts, their gold copies, and dbt exposures by type (dashboards, reports, ...).
ANALYST_LAYERS = frozenset({MARTS_SCHEMA, "gold", "dashboard", "notebook", "analysis", "ml", "application"})

EDGE_SCHEMA = pa.schema(
    [
        ("source", pa.string()),
        ("source_column", pa.string()),
        ("target", pa.string()),
        ("target_column", pa.string()),
        ("transformation", pa.string()),
        ("via", pa.string()),
    ]
)


def is_analyst_facing(table: str) -> bool:
    return table.split(".", 1)[0] in ANALYST_LAYERS


@dataclass(frozen=True, order=True)
class Edge:
    """``source.source_column`` feeds ``target.target_column`` through ``via`` (a dbt model, a step)."""

    source: str  # <layer or schema>.<table>
    source_column: str
    target: str
    target_column: str
    transformation: str  # identity, rename, cast, expression, aggregation, a masking policy, unknown, ...
    via: str

    @property
    def source_node(self) -> str:
        return f"{self.source}.{self.source_column}"

    @property
    def target_node(self) -> str:
        return f"{self.target}.{self.target_column}"


@dataclass
class LineageGraph:
    edges: list[Edge]
    warnings: list[str] = field(default_factory=list)  # e.g. models with table-level lineage only
    ordered: dict[str, list[str]] = field(default_factory=dict)  # table -> columns in their table's order

    def __post_init__(self) -> None:
        self.edges = sorted(set(self.edges))
        self._into: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        self._out_of: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        for e in self.edges:
            if e.source:
                self._into[(e.target, e.target_column)].append(e)
                self._out_of[(e.source, e.source_column)].append(e)

    @property
    def tables(self) -> set[str]:
        return ({e.source for e in self.edges} | {e.target for e in self.edges}) - {""}

    def columns(self, table: str) -> list[str]:
        """The columns the graph knows of a table, in the table's order if known, else by name."""
        found = {e.target_column for e in self.edges if e.target == table}
        found |= {e.source_column for e in self.edges if e.source == table}
        found -= {ALL}
        order = [c for c in self.ordered.get(table, []) if c in found]
        return order + sorted(found - set(order))

    def inputs(self, table: str, column: str) -> list[Edge]:
        """Edges into a column, table-level ones (unknown lineage of its table) included."""
        return self._into.get((table, column), []) + self._into.get((table, ALL), [])

    def outputs(self, table: str, column: str) -> list[Edge]:
        """Edges out of a column, and out of its whole table (into tables of unknown lineage)."""
        return self._out_of.get((table, column), []) + self._out_of.get((table, ALL), [])

    def upstream(self, table: str, column: str) -> Iterator[tuple[Edge, int]]:
        """Every edge upstream of a column, breadth first, with its distance (1 = a direct input)."""
        return self._walk(table, column, self.inputs, lambda e: (e.source, e.source_column))

    def downstream(self, table: str, column: str) -> Iterator[tuple[Edge, int]]:
        return self._walk(table, column, self.outputs, lambda e: (e.target, e.target_column))

    @staticmethod
    def _walk(table, column, step, follow) -> Iterator[tuple[Edge, int]]:
        seen, frontier, depth = {(table, column)}, [(table, column)], 0
        while frontier:
            depth += 1
            following = []
            for node in frontier:
                for edge in step(*node):
                    yield edge, depth
                    nxt = follow(edge)
                    if nxt not in seen:
                        seen.add(nxt)
                        following.append(nxt)
            frontier = following

    def to_arrow(self, built_at) -> pa.Table:
        rows = [astuple(e) for e in self.edges]
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in EDGE_SCHEMA]
        table = pa.table(
            {
                name: pa.array(values, pa.string())
                for name, values in zip(EDGE_SCHEMA.names, columns, strict=True)
            }
        )
        return table.append_column(
            "built_at", pa.array([built_at] * table.num_rows, pa.timestamp("us", tz="UTC"))
        )

    @classmethod
    def from_rows(cls, rows: Iterable[dict]) -> LineageGraph:
        return cls([Edge(*(r[name] for name in EDGE_SCHEMA.names)) for r in rows])
