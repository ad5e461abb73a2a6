"""Cost (FinOps FOCUS showback): per tenant and month the direct, shared and unallocated cost on the billed or the
effective basis, its trend, cost by service, unit costs, and what no rule could allocate, with the reasons."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui
from dashboards.ui import COUNT, MONEY, Column, Context

TOP_SERVICES = 15
BASES = {"Effective (amortised)": "effective", "Billed": "billed"}
PARTS = {"direct": "Direct", "shared": "Shared", "unallocated": "Unallocated"}
MONTHS = {
    "month_label": Column("Month"),
    "tenant_id": Column("Tenant"),
    "billing_currency": Column("Currency"),
    "direct": Column("Direct", MONEY),
    "shared": Column("Shared", MONEY),
    "unallocated": Column("Unallocated", MONEY),
    "allocated": Column("Total", MONEY),
    "requests": Column("Requests", COUNT),
    "active_users": Column("Active users", COUNT),
    "effective_cost_per_1k_requests": Column("Effective cost / 1,000 requests", "%.4f"),
    "effective_cost_per_active_user": Column("Effective cost / active user", MONEY),
}
UNALLOCATED = {
    "month_label": Column("Month"),
    "billing_currency": Column("Currency"),
    "unallocated": Column("Unallocated", MONEY),
    "unallocated_reasons": Column("Reasons"),
}
SERVICES = {
    "service_name": Column("Service"),
    "billing_currency": Column("Currency"),
    "cost": Column("Cost", MONEY),
}


def _render(ctx: Context) -> None:
    tenant = ui.tenant_filter(ctx)
    label = st.segmented_control("Basis", list(BASES), default=_basis(), key="f_basis") or _basis()
    st.query_params["basis"] = BASES[label]
    basis = BASES[label]
    monthly = data.mart(ctx.settings, ctx.viewer, "cost_allocation_monthly", tenant)
    if monthly.is_empty():
        st.info("No cost data for this selection.")
        return
    partial = ctx.current_month
    monthly = ui.as_float(monthly).with_columns(
        month_label=ui.period_label("month", "month"),
        **{part: pl.col(f"{part}_{basis}_cost") for part in PARTS},
        allocated=pl.col(f"allocated_{basis}_cost"),
    )
    st.caption(
        f"{label} basis (FOCUS). {partial:%B %Y} is partial: its charges are still arriving. Shared cost is split "
        "by each tenant's share of the month's compute units; totals reconcile to the bill to the cent."
    )
    _headline(monthly, partial)
    _trend(monthly)
    st.subheader("Tenant months")
    tenants = monthly.filter(pl.col("tenant_id") != data.UNALLOCATED)
    ui.table(
        tenants.sort("month", "tenant_id", descending=[True, False]),
        "cost_monthly",
        MONTHS,
        "No tenant cost.",
    )
    _by_service(ctx, tenant, basis, monthly)
    _unallocated(monthly)


def _basis() -> str:
    wanted = st.query_params.get("basis")
    return next((label for label, key in BASES.items() if key == wanted), next(iter(BASES)))


def _headline(monthly: pl.DataFrame, partial) -> None:
    """Month to date against the last closed month, per currency."""
    closed = monthly.filter(pl.col("month") < partial)["month"].max()
    for currency in sorted(monthly["billing_currency"].unique().to_list()):
        mine = monthly.filter(pl.col("billing_currency") == currency)
        now = mine.filter(pl.col("month") == partial)["allocated"].sum()
        before = mine.filter(pl.col("month") == closed)["allocated"].sum() if closed else None
        cols = st.columns(3)
        cols[0].metric(f"Month to date ({currency})", f"{now:,.2f}")
        cols[1].metric(
            f"{closed:%B %Y} ({currency})" if closed else "Last month",
            "–" if before is None else f"{before:,.2f}",
        )
        unallocated = mine.filter(pl.col("month") == closed)["unallocated"].sum() if closed else 0
        share = unallocated / before if before else None
        cols[2].metric("Unallocated last month", "–" if share is None else f"{share:.1%}")


def _trend(monthly: pl.DataFrame) -> None:
    st.subheader("Cost by month")
    long = (
        monthly.group_by("month_label", "month", "billing_currency")
        .agg(pl.col(list(PARTS)).sum())
        .unpivot(
            index=["month_label", "month", "billing_currency"],
            on=list(PARTS),
            variable_name="part",
            value_name="cost",
        )
        .with_columns(pl.col("part").replace_strict(PARTS))
    )
    chart = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("month_label:O", title=None, sort=ui.in_order(long, "month_label", "month")),
            y=alt.Y("cost:Q", title="cost"),
            color=alt.Color("part:N", title=None, sort=list(PARTS.values())),
            column=alt.Column("billing_currency:N", title=None),
            tooltip=["month_label", "part", alt.Tooltip("cost:Q", format=",.2f"), "billing_currency"],
        )
        .properties(height=260, width=320)
    )
    st.altair_chart(chart)


def _by_service(ctx: Context, tenant: str | None, basis: str, monthly: pl.DataFrame) -> None:
    st.subheader("Cost by service")
    daily = ui.as_float(data.mart(ctx.settings, ctx.viewer, "cost_daily", tenant))
    months = sorted({d.replace(day=1) for d in daily["day"].to_list()}, reverse=True)
    label_of = dict(monthly.select("month", "month_label").unique().iter_rows())  # the statement's labels
    labels = [label_of.get(m, f"{m:%Y-%m}") for m in months]
    chosen = ui.choice("Month", "month", labels, every="Every month")
    if chosen:
        month = months[labels.index(chosen)]
        daily = daily.filter(pl.col("day").dt.truncate("1mo") == month)
    by_service = (
        daily.group_by("service_name", "billing_currency")
        .agg(pl.col(f"{basis}_cost").sum().alias("cost"))
        .sort("cost", descending=True)
    )
    top = by_service.head(TOP_SERVICES)
    chart = (
        alt.Chart(top)
        .mark_bar()
        .encode(
            y=alt.Y("service_name:N", sort="-x", title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X("cost:Q", title="cost"),
            color=alt.Color("billing_currency:N", title="currency"),
            tooltip=["service_name", alt.Tooltip("cost:Q", format=",.2f"), "billing_currency"],
        )
        .properties(height=alt.Step(20))
    )
    st.caption(f"The {len(top)} costliest of {len(by_service)} services; the table lists every one.")
    st.altair_chart(chart, width="stretch")
    ui.table(by_service, "cost_by_service", SERVICES, "No cost for this selection.")


def _unallocated(monthly: pl.DataFrame) -> None:
    rows = monthly.filter(pl.col("tenant_id") == data.UNALLOCATED)
    if rows.is_empty():
        return
    st.subheader("Unallocated")
    st.caption(
        "Cost no tag rule could give to a tenant, with the reasons (untagged, unknown tenant, conflicting tags)."
    )
    ui.table(rows.sort("month", descending=True), "cost_unallocated", UNALLOCATED, "Nothing unallocated.")


ui.show("Cost", _render)
