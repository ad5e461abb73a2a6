"""Overview: each tenant's cost, reliability and compliance, and the engineering organisation's delivery and flow.

Periods are complete or said to be partial: a month counts as complete once the data's as-of is past its end.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data
from dashboards.data import Viewer
from opslake.settings import Settings

ALL = "All tenants"
MONEY, COUNT, SHARE = "%.2f", "%d", "percent"
COLUMNS = {  # label and number format of each column people see
    "tenant_id": ("Tenant", None),
    "effective_cost_last_month": ("Effective cost, last month", MONEY),
    "effective_cost_month_to_date": ("Effective cost, month to date", MONEY),
    "slo_alerts_firing": ("SLO alerts firing", COUNT),
    "controls_failing_last_month": ("Controls failing, last month", COUNT),
    "deployments_last_month": ("Deployments, last month", COUNT),
    "change_failure_rate_last_month": ("Change failure rate, last month", SHARE),
    "flow_velocity_last_full_week": ("Flow velocity, last full week", COUNT),
}


def render(settings: Settings, viewer: Viewer) -> None:
    st.title("Overview")
    published = data.publication(settings)
    if published is None:
        st.info("Nothing has been published yet: run `opslake run`, and this page shows its results.")
        return
    as_of = published.as_of or published.built_at
    st.caption(f"Data as of {as_of:%Y-%m-%d %H:%M} UTC, built {published.built_at:%Y-%m-%d %H:%M} UTC")
    if data.ROLE_MARTS[viewer.role] is not data.EVERY_MART:
        st.info("Your role opens the compliance pages only.")
        return
    tenant = _tenant_filter(settings, viewer)
    partial = as_of.date().replace(day=1)  # the month the data is still arriving in
    closed = (partial - dt.timedelta(days=1)).replace(day=1)
    st.subheader("Tenants")
    st.caption(
        f"Cost, compliance: {closed:%B %Y}, and {partial:%B %Y} to date (partial); SLO alerts: firing now."
    )
    tenants = _tenants(settings, viewer, tenant, closed, partial)
    _table(tenants, "tenants.csv", "No cost, SLO or compliance data for this selection yet.")
    st.subheader("Engineering")
    st.caption(f"Delivery: {closed:%B %Y}; flow: the last full week before {as_of:%Y-%m-%d}.")
    _table(
        _engineering(settings, viewer, tenant, closed, as_of.date()), "engineering.csv", "No delivery data."
    )
    cost = data.mart(settings, viewer, "cost_allocation_monthly", tenant)
    if not cost.is_empty():
        st.subheader("Effective cost by month")
        st.caption(f"{partial:%B %Y} is partial: its data is still arriving.")
        chart = (
            # Decimals leave polars for Vega as unscaled integers: hand over floats.
            alt.Chart(cost.select("tenant_id", "month", pl.col("allocated_effective_cost").cast(pl.Float64)))
            .mark_bar()
            .encode(
                x=alt.X("yearmonth(month):O", title="month"),
                y=alt.Y("sum(allocated_effective_cost):Q", title="effective cost"),
                color=alt.Color("tenant_id:N", title="tenant", scale=alt.Scale(scheme="category20")),
                tooltip=["tenant_id", "month", "allocated_effective_cost"],
            )
        )
        st.altair_chart(chart, width="stretch")


def _tenant_filter(settings: Settings, viewer: Viewer) -> str | None:
    """The tenant chosen in the URL or the selector; a tenant viewer has no choice to make."""
    if viewer.tenant_id:
        st.caption(f"Tenant **{viewer.tenant_id}**")
        return viewer.tenant_id
    options = [ALL, *data.tenants(settings, viewer)]
    wanted = st.query_params.get("tenant")
    chosen = st.selectbox("Tenant", options, index=options.index(wanted) if wanted in options else 0)
    if chosen == ALL:
        st.query_params.pop("tenant", None)
        return None
    st.query_params["tenant"] = chosen
    return chosen


def _table(frame: pl.DataFrame, file_name: str, empty: str) -> None:
    if frame.is_empty():
        st.info(empty)
        return
    config = {
        name: st.column_config.NumberColumn(label, format=fmt) if fmt else st.column_config.TextColumn(label)
        for name, (label, fmt) in COLUMNS.items()
        if name in frame.columns
    }
    st.dataframe(frame, hide_index=True, width="stretch", column_config=config)
    st.download_button("Download CSV", frame.write_csv(), file_name=file_name, mime="text/csv", key=file_name)


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
        data.mart(settings, viewer, "slo_burn_alerts", tenant)
        .filter(pl.col("is_open"))
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
    settings: Settings, viewer: Viewer, tenant: str | None, closed: dt.date, today: dt.date
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
    last_full_week = today - dt.timedelta(days=today.weekday() + 7)
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
