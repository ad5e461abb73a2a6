"""Reliability: the SLO list (as Sloth and Pyrra list them), one SLO's detail (SLI, error budget burn-down, the
multi-window alerts, the time to exhaustion at the current burn rate), and incidents (by severity, MTTA/MTTR, the
incident list)."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import analysis, data, ui
from dashboards.ui import COUNT, DECIMAL, SHARE, Column, Context

SLIS = ("availability", "latency")
SLO_LIST = {
    "tenant_id": Column("Tenant"),
    "service": Column("Service"),
    "sli": Column("SLI"),
    "objective": Column("Objective", "%.2f%%"),
    "window_days": Column("Window (d)", COUNT),
    "window_sli": Column("SLI over the window", "%.3f%%"),
    "budget_remaining": Column("Error budget left", SHARE),
    "burn_rate": Column("Burn rate, last day", DECIMAL, "1 spends the budget exactly over the window."),
    "burning": Column("Burning now", None, "The last day's burn rate is above 1."),
    "alerts_firing": Column("Alerts firing", COUNT),
    "exhausted_in": Column("Budget exhausted in", None, "At the last day's burn rate."),
}
ALERTS = {
    "fired_at": Column("Fired (UTC)"),
    "resolved_at": Column("Resolved (UTC)"),
    "severity": Column("Severity"),
    "rule": Column("Windows (long/short)"),
    "burn_rate_threshold": Column("Threshold", DECIMAL),
    "peak_long_window_burn_rate": Column("Peak long-window burn", DECIMAL),
    "peak_short_window_burn_rate": Column("Peak short-window burn", DECIMAL),
    "alerting_minutes": Column("Minutes alerting", COUNT),
    "is_open": Column("Firing"),
    "tenant_id": Column("Tenant"),
}
INCIDENTS = {
    "incident_id": Column("Incident"),
    "severity": Column("Severity"),
    "service": Column("Service"),
    "triggered_at": Column("Triggered (UTC)"),
    "minutes_to_acknowledge": Column("To acknowledge (min)", DECIMAL),
    "minutes_to_resolve": Column("To resolve (min)", DECIMAL),
    "caused_by_deployment_id": Column("Caused by deployment"),
    "is_open": Column("Open"),
    "tenant_id": Column("Tenant"),
}


def _render(ctx: Context) -> None:
    tenant = ui.tenant_filter(ctx)
    daily = data.mart(ctx.settings, ctx.viewer, "slo_daily", tenant)
    firing = data.mart(ctx.settings, ctx.viewer, "slo_burn_alerts", tenant, where={"is_open": True})
    service = ui.choice(
        "Service", "service", sorted(daily["service"].unique().to_list()), every="All services"
    )
    if service:
        daily, firing = (f.filter(pl.col("service") == service) for f in (daily, firing))
    slos, incidents = st.tabs(["SLOs", "Incidents"])
    with slos:
        slos = _slo_list(daily, firing)
        _slo_detail(ctx, slos, daily)
    with incidents:
        _incidents(ctx, tenant, service)


def _slo_long(daily: pl.DataFrame) -> pl.DataFrame:
    """One row per tenant, service, SLI and day, whatever the SLI."""
    parts = []
    for sli in SLIS:
        parts.append(
            daily.select(
                "tenant_id",
                "service",
                "day",
                pl.lit(sli).alias("sli"),
                pl.col(f"{sli}_objective").alias("objective"),
                pl.col(f"{sli}_window_days").cast(pl.Int64).alias("window_days"),
                pl.col(f"{sli}_sli").alias("day_sli"),
                pl.col(f"{sli}_burn_rate").alias("burn_rate"),
                pl.col(f"{sli}_budget_remaining").alias("budget_remaining"),
                (
                    1
                    - pl.col(
                        f"{sli}_window_errors" if sli == "availability" else f"{sli}_window_slow_requests"
                    )
                    / pl.col(f"{sli}_window_requests")
                ).alias("window_sli"),
            )
        )
    return ui.as_float(pl.concat(parts))


def _slo_list(daily: pl.DataFrame, firing: pl.DataFrame) -> pl.DataFrame:
    """Each tenant's SLOs as of their last day, the most urgent first."""
    st.subheader("Service level objectives")
    if daily.is_empty():
        st.info("No SLO data for this selection.")
        return daily
    long = _slo_long(daily)
    latest = long.filter(pl.col("day") == pl.col("day").max().over("tenant_id", "service", "sli"))
    firing = firing.group_by("tenant_id", "service", "sli").agg(alerts_firing=pl.len())
    rows = (
        latest.join(firing, on=["tenant_id", "service", "sli"], how="left")
        .with_columns(
            pl.col("alerts_firing").fill_null(0),
            (pl.col("objective") * 100),
            (pl.col("window_sli") * 100),
            burning=pl.col("burn_rate") > 1,
            exhausted_in=pl.struct("budget_remaining", "burn_rate", "window_days").map_elements(
                lambda r: analysis.exhaustion(r["budget_remaining"], r["burn_rate"], r["window_days"]),
                return_dtype=pl.String,
            ),
        )
        .sort(pl.col("alerts_firing"), pl.col("budget_remaining"), descending=[True, False], nulls_last=True)
    )
    st.caption(
        "Sorted by alerts firing, then the budget left. The budget and SLI are over each SLO's window."
    )
    ui.table(rows, "slos", SLO_LIST, "No SLOs.")
    return rows


def _slo_detail(ctx: Context, slos: pl.DataFrame, daily: pl.DataFrame) -> None:
    """One tenant's SLO (the most urgent unless the URL names another): its SLI per day against the objective,
    the error budget left over the window, the time to exhaustion, and its alerts."""
    st.subheader("SLO detail")
    if slos.is_empty():
        return
    options = [f"{t} · {s} · {i}" for t, s, i in slos.select("tenant_id", "service", "sli").iter_rows()]
    wanted = st.query_params.get("slo")
    chosen = st.selectbox(
        "SLO", options, index=options.index(wanted) if wanted in options else 0, key="f_slo"
    )
    st.query_params["slo"] = chosen
    tenant, service, sli = chosen.split(" · ")
    is_this = (pl.col("tenant_id") == tenant) & (pl.col("service") == service) & (pl.col("sli") == sli)
    one = _slo_long(daily).filter(is_this)
    now = slos.filter(is_this).row(0, named=True)
    cols = st.columns(4)
    cols[0].metric(
        "SLI over the window", f"{now['window_sli']:.3f}%", help=f"objective {now['objective']:.2f}%"
    )
    cols[1].metric("Error budget left", _percent(now["budget_remaining"]))
    cols[2].metric("Burn rate, last day", ui.number(now["burn_rate"], 2))
    cols[3].metric("Budget exhausted in", now["exhausted_in"], help="at the last day's burn rate")
    objective = now["objective"] / 100
    sli_chart = (
        alt.Chart(one.drop_nulls("day_sli"))
        .mark_line(point=True)
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("day_sli:Q", title="SLI (day)", scale=alt.Scale(zero=False), axis=alt.Axis(format="%")),
            tooltip=["day", alt.Tooltip("day_sli:Q", format=".3%")],
        )
    )
    rule = alt.Chart(pl.DataFrame({"objective": [objective]})).mark_rule(strokeDash=[4, 4], color="red")
    budget = (
        alt.Chart(one.drop_nulls("budget_remaining"))
        .mark_area(opacity=0.4, line=True)
        .encode(
            x=alt.X("day:T", title=None),
            y=alt.Y("budget_remaining:Q", title="error budget left", axis=alt.Axis(format="%")),
            tooltip=["day", alt.Tooltip("budget_remaining:Q", format=".1%")],
        )
    )
    left, right = st.columns(2)
    left.markdown(f"**SLI per day** against the objective ({objective:.2%}, dashed)")
    left.altair_chart((sli_chart + rule.encode(y="objective:Q")).properties(height=240), width="stretch")
    right.markdown(f"**Error budget burn-down** over the rolling {now['window_days']}-day window")
    right.altair_chart(budget.properties(height=240), width="stretch")
    alerts = data.mart(
        ctx.settings, ctx.viewer, "slo_burn_alerts", tenant, where={"service": service, "sli": sli}
    )
    rows = ui.as_float(alerts)
    st.markdown(
        "**Multi-window burn-rate alerts** (Google SRE Workbook: page 1h/5m > 14.4, 6h/30m > 6; ticket 3d/6h > 1)"
    )
    ui.table(rows.sort("fired_at", descending=True), "slo_alerts", ALERTS, "No alert has fired for this SLO.")


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def _incidents(ctx: Context, tenant: str | None, service: str | None) -> None:
    monthly = data.mart(ctx.settings, ctx.viewer, "incident_metrics_monthly", tenant)
    listed = data.mart(ctx.settings, ctx.viewer, "incidents", tenant)
    if service:
        monthly, listed = (f.filter(pl.col("service") == service) for f in (monthly, listed))
    if listed.is_empty():
        st.info("No incidents for this selection.")
        return
    listed = ui.as_float(listed)
    resolved = listed.filter(~pl.col("is_open"))
    cols = st.columns(5)
    cols[0].metric("Incidents", f"{len(listed):,}")
    cols[1].metric("Open", f"{listed['is_open'].sum():,}")
    cols[2].metric("MTTA p50", _duration(listed["minutes_to_acknowledge"].drop_nulls().median()))
    cols[3].metric("MTTR p50", _duration(resolved["minutes_to_resolve"].drop_nulls().median()))
    cols[4].metric("MTTR mean", _duration(resolved["minutes_to_resolve"].drop_nulls().mean()))
    by_month = (
        monthly.with_columns(month_label=ui.period_label("month", "month"))
        .group_by("month", "month_label", "severity")
        .agg(pl.col("incidents").sum())
    )
    st.markdown("**Incidents by severity and month**")
    chart = (
        alt.Chart(by_month)
        .mark_bar()
        .encode(
            x=alt.X("month_label:O", title=None, sort=ui.in_order(by_month, "month_label", "month")),
            y=alt.Y("incidents:Q", title="incidents"),
            color=alt.Color(
                "severity:N",
                sort=["sev1", "sev2", "sev3", "sev4"],
                scale=alt.Scale(scheme="reds", reverse=True),
            ),
            tooltip=["month_label", "severity", "incidents"],
        )
        .properties(height=240)
    )
    st.altair_chart(chart, width="stretch")
    st.markdown("**Incidents**")
    ui.table(
        listed.sort("triggered_at", descending=True), "incidents", INCIDENTS, "No incidents.", height=400
    )


def _duration(minutes: float | None) -> str:
    return ui.hours(None if minutes is None else minutes / 60)


ui.show("Reliability", _render)
