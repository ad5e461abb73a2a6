"""Overview: each tenant's cost, reliability and compliance, and the engineering organisation's delivery and flow.

Periods are complete or said to be partial: a month counts as complete once the data's as-of is past its end.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui
from dashboards.data import Viewer
from dashboards.ui import COUNT, MONEY, SHARE, Column, Context
from opslake.settings import Settings

CARDS_PER_ROW = 3
COLUMNS = {
    "tenant_id": Column("Tenant"),
    "effective_cost_last_month": Column("Effective cost, last month", MONEY),
    "effective_cost_month_to_date": Column("Effective cost, month to date", MONEY),
    "slo_alerts_firing": Column("SLO alerts firing", COUNT),
    "controls_failing_last_month": Column("Controls failing, last month", COUNT),
    "deployments_last_month": Column("Deployments, last month", COUNT),
    "change_failure_rate_last_month": Column("Change failure rate, last month", SHARE),
    "flow_velocity_last_full_week": Column("Flow velocity, last full week", COUNT),
}


def _render(ctx: Context) -> None:
    tenant = ui.tenant_filter(ctx)
    partial = ctx.current_month
    closed = (partial - dt.timedelta(days=1)).replace(day=1)
    settings, viewer = ctx.settings, ctx.viewer
    _headline(ctx, tenant, closed)
    st.subheader("Tenants")
    st.caption(
        f"Cost, compliance: {closed:%B %Y}, and {partial:%B %Y} to date (partial); SLO alerts: firing now."
    )
    tenants = _tenants(settings, viewer, tenant, closed, partial)
    ui.table(tenants, "tenants", COLUMNS, "No cost, SLO or compliance data for this selection yet.")
    st.subheader("Engineering")
    st.caption(f"Delivery: {closed:%B %Y}; flow: the last full week before {ctx.as_of:%Y-%m-%d}.")
    engineering = _engineering(settings, viewer, tenant, closed, ctx.current_week)
    ui.table(engineering, "engineering", COLUMNS, "No delivery data for this selection.")
    cost = data.mart(settings, viewer, "cost_allocation_monthly", tenant)
    if not cost.is_empty():
        st.subheader("Effective cost by month")
        st.caption(f"{partial:%B %Y} is partial: its data is still arriving.")
        chart = (
            alt.Chart(ui.as_float(cost.select("tenant_id", "month", "allocated_effective_cost")))
            .mark_bar()
            .encode(
                x=alt.X("yearmonth(month):O", title="month"),
                y=alt.Y("sum(allocated_effective_cost):Q", title="effective cost"),
                color=alt.Color("tenant_id:N", title="tenant", scale=alt.Scale(scheme="category20")),
                tooltip=["tenant_id", "month", alt.Tooltip("sum(allocated_effective_cost):Q", format=",.2f")],
            )
        )
        st.altair_chart(chart, width="stretch")


def _headline(ctx: Context, tenant: str | None, closed: dt.date) -> None:
    """One card per page: its headline figure for the last complete period, the change from the period before,
    its trend over complete periods, and a link to the page (with the tenant chosen here)."""
    settings, viewer = ctx.settings, ctx.viewer
    cost = _monthly(
        data.mart(settings, viewer, "cost_allocation_monthly", tenant), "allocated_effective_cost", closed
    )
    dora = data.mart(settings, viewer, "dora_metrics_monthly", tenant)
    deployments = _monthly(dora, "deployments", closed)
    attempts = _monthly(dora, "production_deployment_attempts", closed)
    failures = _monthly(dora, "change_failures", closed)
    failure_rate = [f / a if a else None for f, a in zip(failures, attempts, strict=True)]
    flow = data.mart(settings, viewer, "flow_metrics_weekly", tenant)
    weekly = (
        flow.filter(pl.col("week_start") < ctx.current_week)
        .group_by("week_start")
        .agg(pl.col("flow_velocity").sum())
        .sort("week_start")["flow_velocity"]
        .to_list()
    )
    alerts = data.mart(settings, viewer, "slo_burn_alerts", tenant, where={"is_open": True})
    controls = data.mart(settings, viewer, "compliance_controls", tenant)
    failing = _monthly(
        controls.with_columns(failing=(pl.col("status") == "fail").cast(pl.Int64)), "failing", closed
    )
    params = {"tenant": tenant} if tenant and not viewer.tenant_id else None
    cards = [
        (f"Effective cost, {closed:%b %Y}", cost, "cost", "Cost", "inverse", "accounting"),
        (f"Deployments, {closed:%b %Y}", deployments, "delivery", "Delivery", "normal", "localized"),
        (f"Change failure rate, {closed:%b %Y}", failure_rate, "delivery", "Delivery", "inverse", "percent"),
        ("Flow velocity, last full week", weekly, "flow", "Flow", "normal", "localized"),
        (f"Controls failing, {closed:%b %Y}", failing, "compliance", "Compliance", "inverse", "localized"),
        ("SLO alerts firing now", [len(alerts)], "reliability", "Reliability", "inverse", "localized"),
    ]
    for row in range(0, len(cards), CARDS_PER_ROW):
        for column, (label, series, page, title, colour, fmt) in zip(
            st.columns(CARDS_PER_ROW), cards[row : row + CARDS_PER_ROW], strict=False
        ):
            with column:
                known = [v for v in series if v is not None]
                value = known[-1] if known else None
                delta = value - known[-2] if len(known) > 1 else None
                trend = known if len(known) > 1 else None
                st.metric(label, value, delta, delta_color=colour, border=True, chart_data=trend, format=fmt)
                st.page_link(f"app_pages/{page}.py", label=f"{title} →", query_params=params)


def _monthly(frame: pl.DataFrame, column: str, closed: dt.date) -> list:
    """The column's total per complete month, oldest first."""
    if frame.is_empty():
        return []
    totals = frame.filter(pl.col("month") <= closed).group_by("month").agg(pl.col(column).sum()).sort("month")
    return [float(v) if v is not None else None for v in totals[column].to_list()]


def _tenants(
    settings: Settings, viewer: Viewer, tenant: str | None, closed: dt.date, partial: dt.date
) -> pl.DataFrame:
    """Per tenant: effective cost of the last closed month and of the month to date, SLO alerts firing, controls
    failing in the last closed month."""
    cost = data.mart(settings, viewer, "cost_allocation_monthly", tenant)
    by_month = [
        cost.filter(pl.col("month") == month)
        .group_by("tenant_id")
        .agg(pl.col("allocated_effective_cost").sum().alias(name))
        for month, name in ((closed, "effective_cost_last_month"), (partial, "effective_cost_month_to_date"))
    ]
    alerts = (
        data.mart(settings, viewer, "slo_burn_alerts", tenant, where={"is_open": True})
        .group_by("tenant_id")
        .agg(pl.len().alias("slo_alerts_firing"))
    )
    controls = (
        data.mart(settings, viewer, "compliance_controls", tenant)
        .filter(pl.col("month") == closed)
        .group_by("tenant_id")
        .agg((pl.col("status") == "fail").sum().alias("controls_failing_last_month"))
    )
    return _joined([*by_month, alerts, controls], ["slo_alerts_firing", "controls_failing_last_month"])


def _engineering(
    settings: Settings, viewer: Viewer, tenant: str | None, closed: dt.date, current_week: dt.date
) -> pl.DataFrame:
    """Per tenant with delivery data: the last closed month's deployments and change failure rate, and the flow
    velocity of the last full week."""
    dora = (
        data.mart(settings, viewer, "dora_metrics_monthly", tenant)
        .filter(pl.col("month") == closed)
        .group_by("tenant_id")
        .agg(
            pl.col("deployments").sum().alias("deployments_last_month"),
            (pl.col("change_failures").sum() / pl.col("production_deployment_attempts").sum()).alias(
                "change_failure_rate_last_month"
            ),
        )
    )
    last_full_week = current_week - dt.timedelta(days=7)
    flow = (
        data.mart(settings, viewer, "flow_metrics_weekly", tenant)
        .filter(pl.col("week_start") == last_full_week)
        .group_by("tenant_id")
        .agg(pl.col("flow_velocity").sum().alias("flow_velocity_last_full_week"))
    )
    return _joined([dora, flow], [])


def _joined(parts: list[pl.DataFrame], counts: list[str]) -> pl.DataFrame:
    """The parts side by side, one row per tenant in any of them; counts absent from a part are zero."""
    keys = pl.concat([p.select("tenant_id") for p in parts]).unique()
    rows = keys
    for part in parts:
        rows = rows.join(part, on="tenant_id", how="left")
    return (
        rows.with_columns(pl.col(counts).fill_null(0)).sort("tenant_id") if counts else rows.sort("tenant_id")
    )


ui.show("Overview", _render)
