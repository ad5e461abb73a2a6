"""The PII guard: no personal column reaches an analyst-facing table except through its masking policy.

Personal columns are the bronze columns the classification catalog (or ``classification.yml``) labels non-public with
a policy other than ``keep``, and their landing fields. Walking upstream from every column of the marts, their
gold copies and the dbt exposures, a path that reaches one without crossing a masking edge (bronze -> silver
with the column's policy) is a violation; so is a path through lineage that could not be resolved (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ingestion.contracts import CONTRACTS
from lineage.graph import UNKNOWN, Edge, LineageGraph, is_analyst_facing
from privacy.classify import ColumnClass

# The silver policies, and the content hash that identifies a cost row (one-way, over the whole row).
MASKING = frozenset({"pseudonymize", "generalize", "redact_text", "mask", "hash"})
SHOWN = 20  # violations listed in the error; the rest are counted


@dataclass(frozen=True)
class Violation:
    column: str  # the analyst-facing column, <table>.<column>
    path: tuple[Edge, ...]  # from the analyst-facing column upstream to the personal (or unresolved) column
    reason: str

    def __str__(self) -> str:
        nodes = [self.column] + [e.source_node for e in self.path]
        return f"{self.column}: {self.reason}\n    path: {' <- '.join(nodes)}"


class PiiLeak(RuntimeError):
    """Analyst-facing columns reach personal data unmasked (or through lineage that could not be resolved)."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        lines = [str(v) for v in violations[:SHOWN]]
        more = f"\n  ... and {len(violations) - SHOWN} more" if len(violations) > SHOWN else ""
        super().__init__(
            f"PII guard: {len(violations)} analyst-facing column(s) reach personal data without its masking "
            "policy:\n  " + "\n  ".join(lines) + more
        )


def personal_columns(classes: Mapping[tuple[str, str], ColumnClass]) -> dict[str, ColumnClass]:
    """``bronze.<table>.<column>`` (and its landing field) -> class, for every column that holds personal data."""
    out = {}
    for (table, column), cls in classes.items():
        if cls.label == "public" or cls.policy == "keep":
            continue
        out[f"bronze.{table}.{column}"] = cls
        contract = CONTRACTS.get(table)
        if contract is not None and column in contract.names:
            out[f"landing.{table}.{contract.field(column).input_name}"] = cls
    return out


def find_violations(graph: LineageGraph, classes: Mapping[tuple[str, str], ColumnClass]) -> list[Violation]:
    """Every analyst-facing column with an unmasked path to personal data, or an unresolved one."""
    personal = personal_columns(classes)
    targets = sorted({(e.target, e.target_column) for e in graph.edges if is_analyst_facing(e.target)})
    return [v for table, column in targets if (v := _first_leak(graph, table, column, personal))]


def check(graph: LineageGraph, classes: Mapping[tuple[str, str], ColumnClass]) -> None:
    """Raise ``PiiLeak`` naming every violating column and its path."""
    violations = find_violations(graph, classes)
    if violations:
        raise PiiLeak(violations)


def _first_leak(
    graph: LineageGraph, table: str, column: str, personal: Mapping[str, ColumnClass]
) -> Violation | None:
    """Breadth first upstream, never across a masking edge: the shortest path to a leak, if any."""
    start = (table, column)
    came_by: dict[tuple[str, str], tuple[Edge, tuple[str, str]] | None] = {start: None}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for edge in graph.inputs(*node):
                if edge.transformation in MASKING:
                    continue
                source = (edge.source, edge.source_column)
                if source in came_by:
                    continue
                came_by[source] = (edge, node)
                path = _path(came_by, source)
                cls = personal.get(edge.source_node)
                if cls is not None:
                    reason = (
                        f"personal data ({cls.label}, policy {cls.policy}) of {edge.source_node} "
                        "reaches it without its masking policy"
                    )
                    return Violation(f"{table}.{column}", path, reason)
                if edge.transformation == UNKNOWN:
                    reason = f"unknown lineage in {edge.via}: cannot prove it holds no personal data"
                    return Violation(f"{table}.{column}", path, reason)
                following.append(source)
        frontier = following
    return None


def _path(came_by: dict, node: tuple[str, str]) -> tuple[Edge, ...]:
    edges = []
    while (step := came_by[node]) is not None:
        edge, node = step
        edges.append(edge)
    return tuple(reversed(edges))
