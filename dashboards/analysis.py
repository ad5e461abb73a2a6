"""The computations behind the pages that are more than a filter: kept apart from the page scripts so that they
are tested on hand-worked examples."""

from __future__ import annotations

import polars as pl

from dashboards import ui

ANOMALY_Z = 4.0  # robust z-score (median and MAD of the trailing 28 days) beyond which a volume is flagged
TRAILING_DAYS = 28
MIN_HISTORY = 4  # days of the same kind before a day is judged (a 28-day window holds 8 weekend days)
SATURDAY = 5
ALL = "*"  # the column of a table-level lineage edge


def anomalies(volume: pl.DataFrame) -> pl.DataFrame:
    """Each domain-day with the median and robust z-score of the same kind of day (weekday or weekend) in the 28
    days before it (not itself): a quiet Saturday is normal, a quiet Tuesday is not."""
    days = volume.sort("domain", "day")
    rows = []
    for (domain,), group in days.group_by("domain", maintain_order=True):
        counts = group["records"].to_list()
        for i, day in enumerate(group["day"].to_list()):
            window = [
                c
                for d, c in zip(group["day"][:i], counts[:i], strict=True)
                if (day - d).days <= TRAILING_DAYS and _is_weekend(d) == _is_weekend(day)
            ]
            if len(window) < MIN_HISTORY:
                rows.append((domain, day, counts[i], None, None))
                continue
            median = _median(window)
            mad = _median([abs(c - median) for c in window]) * 1.4826 or 1.0
            rows.append((domain, day, counts[i], median, (counts[i] - median) / mad))
    return pl.DataFrame(
        rows,
        schema={
            "domain": pl.String,
            "day": pl.Date,
            "records": pl.Int64,
            "expected": pl.Float64,
            "z": pl.Float64,
        },
        orient="row",
    )


def _is_weekend(day) -> bool:
    return day.weekday() >= SATURDAY


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def upstream_edges(edges: pl.DataFrame, table: str, column: str) -> pl.DataFrame:
    """Every edge upstream of ``table.column``, with its distance (1: feeds the column directly); a table-level
    edge (column ``*``) feeds every column of its target."""
    into: dict[tuple[str, str], list[dict]] = {}
    into_table: dict[str, list[dict]] = {}
    for edge in edges.filter(pl.col("source") != "").iter_rows(named=True):
        into.setdefault((edge["target"], edge["target_column"]), []).append(edge)
        into_table.setdefault(edge["target"], []).append(edge)
    found, frontier, seen = [], [(table, column)], {(table, column)}
    depth = 0
    while frontier:
        depth += 1
        nxt = []
        for node in frontier:
            feeding = (
                into_table.get(node[0], [])
                if node[1] == ALL
                else into.get(node, []) + into.get((node[0], ALL), [])
            )
            for edge in feeding:
                found.append({**edge, "depth": depth})
                source = (edge["source"], edge["source_column"])
                if source not in seen:
                    seen.add(source)
                    nxt.append(source)
        frontier = nxt
    return (
        pl.DataFrame(found, schema={**edges.schema, "depth": pl.Int64})
        if found
        else edges.clear().with_columns(depth=pl.lit(0, pl.Int64))
    )


def exhaustion(remaining: float | None, burn: float | None, window_days: int) -> str:
    """Time until the error budget is spent at this burn rate (Pyrra's figure): a burn rate of 1 spends the whole
    budget in one window."""
    if remaining is None or burn is None:
        return "–"
    if remaining <= 0:
        return "exhausted"
    if burn <= 0:
        return "not burning"
    return ui.hours(remaining * window_days * 24 / burn)
