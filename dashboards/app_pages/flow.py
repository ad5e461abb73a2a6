"""Flow (SAFe 6.0): velocity, time, load, efficiency and distribution at the team, ART and portfolio levels, and
PI predictability against the 80-100% band."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui
from dashboards.ui import COUNT, DECIMAL, SHARE, Column, Context

# level -> (mart, its period column, what flows at that level)
LEVELS = {
    "Team": ("flow_metrics_weekly", "week_start", "stories, enablers, defects and risks"),
    "ART": ("flow_metrics_art_weekly", "week_start", "features"),
    "Portfolio": ("flow_metrics_portfolio_monthly", "month", "epics"),
}
TYPES = {  # team-level completions by SAFe flow type
    "features_completed": "Features",
    "enablers_completed": "Enablers",
    "defects_completed": "Defects",
    "risks_completed": "Risks",
}
COLUMNS = {
    "period_label": Column("Period"),
    "art": Column("ART"),
    "team": Column("Team"),
    "flow_velocity": Column("Velocity", COUNT, "Items finished in the period."),
    "flow_time_p50_days": Column("Flow time p50 (d)", DECIMAL),
    "flow_time_p85_days": Column("Flow time p85 (d)", DECIMAL),
    "flow_load_avg_wip": Column("Load (avg WIP)", DECIMAL),
    "flow_efficiency": Column("Efficiency", SHARE, "Active time over flow time of the items finished."),
    "feature_share": Column("Features", SHARE),
    "enabler_share": Column("Enablers", SHARE),
    "defect_share": Column("Defects", SHARE),
    "risk_share": Column("Risks", SHARE),
    "tenant_id": Column("Tenant"),
}
PREDICTABILITY = {
    "art": Column("ART"),
    "pi": Column("PI"),
    "predictability_pct": Column("Predictability (%)", DECIMAL),
    "predictability_band": Column("Band"),
    "scoring_status": Column("Scoring"),
    "committed_planned_business_value": Column("Planned BV (committed)", COUNT),
    "actual_business_value": Column("Actual BV", COUNT),
    "objectives": Column("Objectives", COUNT),
    "teams": Column("Teams", COUNT),
    "tenant_id": Column("Tenant"),
}


def _render(ctx: Context) -> None:
    tenant = ui.tenant_filter(ctx)
    level = st.segmented_control("Level", list(LEVELS), default=_level(), key="f_level") or "Team"
    st.query_params["level"] = level
    name, period, items = LEVELS[level]
    flow = data.mart(ctx.settings, ctx.viewer, name, tenant)
    if flow.is_empty():
        st.info("No work-item data for this selection: flow is measured for the tenant whose teams deliver.")
        return
    left, right = st.columns(2)
    if "art" in flow.columns:
        art = ui.choice("ART", "art", sorted(flow["art"].unique().to_list()), every="All ARTs", where=left)
        flow = flow.filter(pl.col("art") == art) if art else flow
    if "team" in flow.columns:
        team = ui.choice(
            "Team", "team", sorted(flow["team"].unique().to_list()), every="All teams", where=right
        )
        flow = flow.filter(pl.col("team") == team) if team else flow
    unit = "month" if period == "month" else "week"
    flow = flow.with_columns(period_label=ui.period_label(period, unit))
    st.caption(
        f"{level} level: {items}, per {unit}. A {unit} the data covers only in part says so in its label, and its "
        "bars are pale."
    )
    _velocity(flow, period, level)
    _measures(flow, period)
    st.subheader(f"{level} {unit}s")
    group = [c for c in ("art", "team") if c in flow.columns]
    ui.table(
        flow.sort(period, *group, descending=[True] + [False] * len(group)),
        f"flow_{level.lower()}",
        COLUMNS,
        "No rows.",
    )
    _predictability(ctx, tenant)


def _level() -> str:
    wanted = st.query_params.get("level")
    return wanted if wanted in LEVELS else "Team"


def _velocity(flow: pl.DataFrame, period: str, level: str) -> None:
    st.subheader("Velocity")
    periods = [period, "period_label", "is_partial"]
    if level == "Team":
        long = (
            flow.group_by(periods)
            .agg(pl.col(list(TYPES)).sum())
            .unpivot(index=periods, on=list(TYPES), variable_name="type", value_name="items")
            .with_columns(pl.col("type").replace_strict(TYPES))
        )
        color = alt.Color("type:N", title="flow type", sort=list(TYPES.values()))
    else:  # one kind of item per level: stacked by ART where there are ARTs
        by = "art" if "art" in flow.columns else None
        long = (
            flow.group_by(*periods, *([by] if by else []))
            .agg(pl.col("flow_velocity").sum().alias("items"))
            .with_columns(type=pl.col(by) if by else pl.lit(level))
        )
        color = alt.Color("type:N", title=by.upper() if by else None)
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("period_label:O", title=None, sort=ui.in_order(long, "period_label", period)),
            y=alt.Y("items:Q", title="items finished", stack=True),
            color=color,
            opacity=alt.condition("datum.is_partial", alt.value(0.35), alt.value(1.0)),
            tooltip=["period_label", "type", "items"],
        )
        .properties(height=260)
    )
    st.altair_chart(chart, width="stretch")


def _measures(flow: pl.DataFrame, period: str) -> None:
    """Flow time, load and efficiency over complete periods, per team or ART when one is not chosen (medians of
    groups are not medians of items, so each group keeps its own line)."""
    group = "team" if "team" in flow.columns else ("art" if "art" in flow.columns else None)
    index = [period, "period_label", *([group] if group else [])]
    measures = {
        "flow_time_p50_days": "Flow time p50 (days)",
        "flow_time_p85_days": "Flow time p85 (days)",
        "flow_load_avg_wip": "Flow load (average WIP)",
        "flow_efficiency": "Flow efficiency",
    }
    long = (
        flow.filter(~pl.col("is_partial"))
        .select(*index, *measures)
        .unpivot(index=index, on=list(measures), variable_name="measure")
        .drop_nulls("value")
        .with_columns(pl.col("measure").replace_strict(measures))
    )
    if long.is_empty():
        return
    encoding = {"color": alt.Color(f"{group}:N", title=group)} if group else {}
    chart = (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{period}:T", title=None),
            y=alt.Y("value:Q", title=None),
            tooltip=[
                "period_label",
                *([group] if group else []),
                "measure",
                alt.Tooltip("value:Q", format=",.2f"),
            ],
            **encoding,
        )
        .properties(width=300, height=170)
        .facet(facet=alt.Facet("measure:N", title=None, sort=list(measures.values())), columns=2)
        .resolve_scale(y="independent")
    )
    st.altair_chart(chart)


def _predictability(ctx: Context, tenant: str | None) -> None:
    st.subheader("PI predictability")
    pis = data.mart(ctx.settings, ctx.viewer, "flow_predictability", tenant)
    art = st.query_params.get("art")
    if art in set(pis["art"].to_list()):
        pis = pis.filter(pl.col("art") == art)
    if pis.is_empty():
        st.info("No PI objectives for this selection.")
        return
    pis = ui.as_float(pis)
    st.caption(
        "Actual over planned business value of the committed objectives; SAFe's target band is 80-100%."
    )
    scored = pis.filter(pl.col("is_scored"))
    if not scored.is_empty():
        band = alt.Chart(pl.DataFrame({"low": [80.0], "high": [100.0]})).mark_rect(
            opacity=0.15, color="green"
        )
        band = band.encode(y="low:Q", y2="high:Q")
        bars = (
            alt.Chart(scored)
            .mark_bar()
            .encode(
                x=alt.X("pi:N", title="PI"),
                xOffset="art:N",
                y=alt.Y("predictability_pct:Q", title="predictability (%)"),
                color=alt.Color("art:N", title="ART"),
                tooltip=[
                    "art",
                    "pi",
                    alt.Tooltip("predictability_pct:Q", format=".1f"),
                    "predictability_band",
                ],
            )
        )
        st.altair_chart((band + bars).properties(height=260), width="stretch")
    ui.table(pis.sort("pi", "art", descending=[True, False]), "pi_predictability", PREDICTABILITY, "No PIs.")


ui.show("Flow", _render)
