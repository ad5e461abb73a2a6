"""Impact questions on the stored lineage: what a column feeds (marts, dashboards) and what feeds it (sources)."""

from __future__ import annotations

from lineage.graph import ALL, Edge, LineageGraph, is_analyst_facing

ORIGINS = ("landing", "bronze")  # where data enters the lakehouse


class UnknownColumn(LookupError):
    """The name matches no column of the lineage graph (or several)."""


def resolve(graph: LineageGraph, name: str) -> tuple[str, str]:
    """``<layer>.<table>.<column>``, or ``<table>.<column>`` when one layer has that table -> (table, column)."""
    parts = name.split(".")
    if len(parts) < 2:
        raise UnknownColumn(f"{name!r} is not TABLE.COLUMN (e.g. marts.cost_daily.billed_cost)")
    candidates = []
    if len(parts) >= 3:
        candidates.append((".".join(parts[:2]), ".".join(parts[2:])))
    candidates += [(t, ".".join(parts[1:])) for t in sorted(graph.tables) if t.split(".", 1)[1] == parts[0]]
    found = [(t, c) for t, c in candidates if c in graph.columns(t)]
    if len(found) == 1:
        return found[0]
    if found:
        raise UnknownColumn(f"{name!r} is ambiguous: " + ", ".join(f"{t}.{c}" for t, c in found))
    tables = [t for t, _ in candidates if t in graph.tables]
    hint = f"; columns of {tables[0]}: {', '.join(graph.columns(tables[0]))}" if tables else ""
    raise UnknownColumn(f"no column {name!r} in the lineage graph{hint}")


def impact(graph: LineageGraph, table: str, column: str, upstream: bool, downstream: bool) -> dict:
    """The column's upstream and downstream edges (with distance), its origins and its analyst-facing consumers."""
    report: dict = {"column": f"{table}.{column}"}
    if upstream:
        ups = list(graph.upstream(table, column))
        report["upstream"] = [_row(e, d) for e, d in ups]
        report["sources"] = sorted(
            {e.source_node for e, _ in ups if e.source.split(".", 1)[0] in ORIGINS and e.source_column != ALL}
        )
    if downstream:
        downs = list(graph.downstream(table, column))
        report["downstream"] = [_row(e, d) for e, d in downs]
        report["consumers"] = sorted({e.target_node for e, _ in downs if is_analyst_facing(e.target)})
    report["unknown_lineage"] = sorted(
        {
            e.via
            for e, _ in [*graph.upstream(table, column), *graph.downstream(table, column)]
            if e.transformation == "unknown"
        }
    )
    return report


def _row(edge: Edge, depth: int) -> dict:
    return {
        "depth": depth,
        "source": edge.source_node,
        "target": edge.target_node,
        "transformation": edge.transformation,
        "via": edge.via,
    }


def render(report: dict) -> str:
    """The report as text: each direction hop by hop, then the answer to the impact question."""
    lines = [report["column"]]
    for direction, far, label in (
        ("upstream", "source", "fed by sources"),
        ("downstream", "target", "consumed by analyst-facing tables and dashboards"),
    ):
        if direction not in report:
            continue
        lines.append(f"\n{direction} ({len(report[direction])} edges):")
        for row in report[direction]:
            near = "target" if far == "source" else "source"
            arrow = "<-" if far == "source" else "->"
            lines.append(
                f"  {'  ' * (row['depth'] - 1)}{row[near]} {arrow} {row[far]}  [{row['transformation']}, {row['via']}]"
            )
        key = "sources" if direction == "upstream" else "consumers"
        lines.append(f"{label}: " + (", ".join(report[key]) or "none"))
    if report["unknown_lineage"]:
        lines.append("unknown lineage (table-level only) in: " + ", ".join(report["unknown_lineage"]))
    return "\n".join(lines)
