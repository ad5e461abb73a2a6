"""Data health: how fresh each domain is, its daily volume with anomalies flagged, what ingestion accepted and
quarantined, the quality checks over time per table, and the column lineage of a metric down to landing, masking
steps marked."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import analysis, data, ui
from dashboards.ui import COUNT, DECIMAL, Column, Context

ANOMALY_Z = (
    4.0  # robust z-score (median and MAD of the trailing 28 days) beyond which a day's volume is flagged
)
TRAILING_DAYS = 28
MASKED_LAYER = "silver"  # edges into silver carry the masking policy of each column
UNMASKED = frozenset({"keep", "identity"})
FRESHNESS = {
    "domain": Column("Domain"),
    "newest_event_at": Column("Newest event (UTC)"),
    "lag_hours": Column("Behind the newest domain (h)", DECIMAL),
    "records": Column("Records", COUNT),
    "last_ingested_at": Column("Last ingestion (UTC)"),
    "accepted": Column("Accepted", COUNT),
    "duplicates": Column("Duplicates", COUNT),
    "quarantined": Column("Quarantined", COUNT),
}
INGESTION = {
    "finished_at": Column("Finished (UTC)"),
    "domain": Column("Domain"),
    "source_file": Column("File"),
    "read": Column("Read", COUNT),
    "accepted": Column("Accepted", COUNT),
    "duplicates": Column("Duplicates", COUNT),
    "quarantined": Column("Quarantined", COUNT),
    "first_event_date": Column("First event day"),
    "last_event_date": Column("Last event day"),
}
CHECKS = {
    "asset": Column("Table"),
    "check": Column("Check"),
    "expectation": Column("Expectation"),
    "column": Column("Column"),
    "severity": Column("Severity"),
    "passed": Column("Passed"),
    "unexpected_count": Column("Unexpected rows", COUNT),
    "observed": Column("Observed", DECIMAL),
    "checked_at": Column("Checked (UTC)"),
}
ANOMALIES = {
    "domain": Column("Domain"),
    "day": Column("Day"),
    "records": Column("Records", COUNT),
    "expected": Column("Median of the trailing 28 days", COUNT),
    "z": Column("Robust z-score", DECIMAL),
}
LINEAGE = {
    "depth": Column("Steps from the metric", COUNT),
    "target": Column("Into"),
    "target_column": Column("Column"),
    "source": Column("From"),
    "source_column": Column("Column "),
    "transformation": Column("How"),
    "masking": Column("Masking step"),
}


def _render(ctx: Context) -> None:
    freshness, volume, quality, lineage = st.tabs(["Freshness", "Volume", "Quality checks", "Lineage"])
    with freshness:
        _freshness(ctx)
    with volume:
        _volume(ctx)
    with quality:
        _quality(ctx)
    with lineage:
        _lineage(ctx)


def _freshness(ctx: Context) -> None:
    fresh = data.health(ctx.settings, ctx.viewer, "freshness")
    if fresh is None or fresh.is_empty():
        st.info("No domain has data yet.")
        return
    newest = fresh["newest_event_at"].max()
    fresh = fresh.with_columns(lag_hours=(newest - pl.col("newest_event_at")).dt.total_seconds() / 3600)
    ingestion = data.health(ctx.settings, ctx.viewer, "ingestion")
    if ingestion is not None:
        totals = ingestion.group_by("domain").agg(
            pl.col("finished_at").max().alias("last_ingested_at"),
            pl.col("accepted", "duplicates", "quarantined").sum(),
        )
        fresh = fresh.join(totals, on="domain", how="left")
    st.caption(
        "The data's as-of is the oldest of the domains' newest events: a feed that stops holds every page's "
        "as-of back, and shows here as the domain furthest behind."
    )
    ui.table(fresh.sort("lag_hours", descending=True), "freshness", FRESHNESS, "No domains.")
    if ingestion is not None:
        with st.expander(f"Ingested files ({len(ingestion):,})"):
            ui.table(
                ingestion.sort("finished_at", descending=True),
                "ingestion",
                INGESTION,
                "No files.",
                height=360,
            )


def _volume(ctx: Context) -> None:
    volume = data.health(ctx.settings, ctx.viewer, "daily_volume")
    if volume is None or volume.is_empty():
        st.info("No volume yet.")
        return
    scored = analysis.anomalies(volume).with_columns(
        anomaly=pl.col("z").abs() > analysis.ANOMALY_Z, partial=pl.col("day") == ctx.as_of.date()
    )
    st.caption(
        "Records per domain and day. A day is an anomaly when its robust z-score against the same kind of day "
        f"(weekday or weekend) in the {analysis.TRAILING_DAYS} days before it is beyond ±{analysis.ANOMALY_Z:g}; "
        f"{ctx.as_of:%Y-%m-%d} is partial (still arriving) and is not judged."
    )
    scored = scored.with_columns(anomaly=pl.col("anomaly") & ~pl.col("partial"))
    base = alt.Chart(scored).encode(x=alt.X("day:T", title=None))
    lines = base.mark_line().encode(y=alt.Y("records:Q", title="records"), color=alt.Color("domain:N"))
    flagged = (
        base.transform_filter("datum.anomaly")
        .mark_point(size=90, filled=True, color="red")
        .encode(y="records:Q", tooltip=["domain", "day", "records", alt.Tooltip("z:Q", format=".1f")])
    )
    chart = (
        (lines + flagged)
        .properties(width=520, height=150)
        .facet(row=alt.Row("domain:N", title=None))
        .resolve_scale(y="independent")
    )
    st.altair_chart(chart)
    ui.table(
        scored.filter(pl.col("anomaly")).sort("day", descending=True),
        "volume_anomalies",
        ANOMALIES,
        "No volume anomalies.",
    )


def _quality(ctx: Context) -> None:
    results = data.health(ctx.settings, ctx.viewer, "quality_results")
    if results is None or results.is_empty():
        st.info("No quality check has run yet.")
        return
    layer = ui.choice("Layer", "layer", sorted(results["layer"].unique().to_list()), every="Every layer")
    if layer:
        results = results.filter(pl.col("layer") == layer)
    runs = results.group_by("asset", "run_id").agg(
        pl.col("checked_at").max(), pl.len().alias("expectations"), (~pl.col("passed")).sum().alias("failed")
    )
    st.caption("Each point is one check run of a table; red when an expectation failed.")
    chart = (
        alt.Chart(runs)
        .mark_circle(size=80)
        .encode(
            x=alt.X("checked_at:T", title=None),
            y=alt.Y("asset:N", title=None),
            color=alt.condition("datum.failed > 0", alt.value("#d1495b"), alt.value("#4c9a5b")),
            tooltip=["asset", "checked_at", "expectations", "failed"],
        )
        .properties(height=max(160, 18 * runs["asset"].n_unique()))
    )
    st.altair_chart(chart, width="stretch")
    latest = results.filter(pl.col("checked_at") == pl.col("checked_at").max().over("asset"))
    failed = latest.filter(~pl.col("passed"))
    st.markdown(f"**Latest run of each table:** {len(latest):,} expectations, {len(failed):,} failed")
    ui.table(
        (failed if not failed.is_empty() else latest).sort("asset", "check"),
        "quality_latest",
        CHECKS,
        "No results.",
        height=360,
    )


def _lineage(ctx: Context) -> None:
    edges = data.health(ctx.settings, ctx.viewer, "lineage_edges")
    if edges is None or edges.is_empty():
        st.info("No lineage has been recorded yet.")
        return
    marts = sorted(t.split(".", 1)[1] for t in edges["target"].unique().to_list() if t.startswith("marts."))
    left, right = st.columns(2)
    table = ui.choice("Mart", "table", marts, every="Choose a mart", where=left)
    if table is None:
        st.caption("Choose a mart and a column to trace it back to the landing files.")
        return
    columns = sorted(edges.filter(pl.col("target") == f"marts.{table}")["target_column"].unique().to_list())
    column = ui.choice("Column", "column", columns, every="Choose a column", where=right)
    if column is None:
        return
    upstream = analysis.upstream_edges(edges, f"marts.{table}", column)
    upstream = upstream.with_columns(
        masking=pl.when(
            pl.col("target").str.starts_with(f"{MASKED_LAYER}.")
            & ~pl.col("transformation").is_in(list(UNMASKED))
        )
        .then(pl.col("transformation"))
        .otherwise(pl.lit(""))
    )
    st.graphviz_chart(_dot(upstream, f"marts.{table}.{column}"), width="stretch")
    st.caption(
        "Red edges are masking steps (bronze to silver): what an analyst reads never carries the raw value."
    )
    ui.table(
        upstream.sort("depth", "target", "target_column"),
        "lineage",
        LINEAGE,
        "No upstream columns.",
        height=360,
    )


def _dot(upstream: pl.DataFrame, start: str) -> str:
    """The walk as a graph, landing at the top and the metric at the bottom; each node is a table and column."""
    edges = upstream.unique(["source", "source_column", "target", "target_column"])
    nodes = {(e["source"], e["source_column"]) for e in edges.iter_rows(named=True)}
    nodes |= {(e["target"], e["target_column"]) for e in edges.iter_rows(named=True)}
    lines = [
        "digraph lineage {",
        "rankdir=TB; ranksep=0.3; nodesep=0.2;",
        'node [shape=box, fontsize=18, style="rounded,filled", fillcolor="#f4f6fa", fontname="sans-serif"];',
        "edge [fontsize=14];",
    ]
    for table, column in sorted(nodes):
        fill = ' fillcolor="#d7ecd9"' if f"{table}.{column}" == start else ""
        lines.append(f'"{table}.{column}" [label="{table}\\n{column}"{fill}];')
    for edge in edges.iter_rows(named=True):
        source = f"{edge['source']}.{edge['source_column']}"
        target = f"{edge['target']}.{edge['target_column']}"
        style = (
            f'color="#d1495b", fontcolor="#d1495b", penwidth=2, label="{edge["masking"]}"'
            if edge["masking"]
            else f'label="{edge["transformation"]}"'
        )
        lines.append(f'"{source}" -> "{target}" [{style}];')
    lines.append("}")
    return "\n".join(lines)


ui.show("Data health", _render)
