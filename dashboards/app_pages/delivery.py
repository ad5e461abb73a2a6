"""Delivery (DORA): the 2023 benchmark grid with each team's level marked, the monthly trend of the four keys and
failed deployment recovery time, and the rows behind the numbers (deployments, incidents caused, commits)."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui
from dashboards.ui import COUNT, DECIMAL, SHARE, Column, Context

LEVELS = ("elite", "high", "medium", "low")
# The DORA 2023 report's levels, as the mart's band columns apply them (the mart's descriptions are the authority).
GRID = {
    "deployment_frequency_band": (
        "Deployment frequency",
        ("On demand (5+ deploy days a week)", "Daily to weekly", "Weekly to monthly", "Less than monthly"),
    ),
    "lead_time_band": (
        "Lead time for changes",
        ("Under a day", "Under a week", "Under 30 days", "30 days or more"),
    ),
    "change_failure_rate_band": (
        "Change failure rate",
        ("5% or less", "10% or less", "15% or less", "Over 15%"),
    ),
    "failed_deployment_recovery_band": (
        "Failed deployment recovery time",
        ("Under an hour", "Under a day", "Under a week", "A week or more"),
    ),
    "time_to_restore_band": (
        "Time to restore service",
        ("Under an hour", "Under a day", "Under a week", "A week or more"),
    ),
}
MONTHLY = {
    "month_label": Column("Month"),
    "team": Column("Team"),
    "deployments": Column("Deployments", COUNT),
    "median_deployment_days_per_week": Column("Deploy days / week (median)", DECIMAL),
    "lead_time_p50_hours": Column("Lead time p50 (h)", DECIMAL),
    "change_failure_rate": Column("Change failure rate", SHARE),
    "change_failures": Column("Change failures", COUNT),
    "production_deployment_attempts": Column("Deployment attempts", COUNT),
    "time_to_restore_p50_hours": Column("Time to restore p50 (h)", DECIMAL),
    "failed_deployment_recovery_p50_hours": Column("Failed deployment recovery p50 (h)", DECIMAL),
    "tenant_id": Column("Tenant"),
}
TRENDS = {
    "median_deployment_days_per_week": "Deploy days per week (median)",
    "lead_time_p50_hours": "Lead time p50 (hours)",
    "change_failure_rate": "Change failure rate",
    "time_to_restore_p50_hours": "Time to restore p50 (hours)",
    "failed_deployment_recovery_p50_hours": "Failed deployment recovery p50 (hours)",
}


def _render(ctx: Context) -> None:
    tenant = ui.tenant_filter(ctx)
    dora = data.mart(ctx.settings, ctx.viewer, "dora_metrics_monthly", tenant)
    if dora.is_empty():
        st.info(
            "No delivery data for this selection: DORA is reported for the engineering organisation that deploys "
            "(its tenant), not for the customer tenants."
        )
        return
    team = ui.choice("Team", "team", sorted(dora["team"].unique().to_list()), every="All teams")
    if team:
        dora = dora.filter(pl.col("team") == team)
    dora = ui.as_float(dora).with_columns(month_label=ui.period_label("month", "month"))
    complete = dora.filter(~pl.col("is_partial"))
    _grid(complete, team)
    st.subheader("Monthly trend")
    st.caption(
        "A month the data covers only in part (the latest, still arriving, and often the first) says so in its "
        "label; the benchmark grid reads the latest complete month."
    )
    _trends(dora)
    st.subheader("Team months")
    ui.table(dora.sort("month", "team", descending=[True, False]), "dora_monthly", MONTHLY, "No team months.")
    _drilldown(ctx, tenant, team, dora)


def _grid(complete: pl.DataFrame, team: str | None) -> None:
    """The 2023 benchmark grid for the last complete month: each metric's row, the team's level marked (or, for
    every team, how many teams are at each level)."""
    if complete.is_empty():
        st.info("No complete month yet: the benchmark grid needs one.")
        return
    month = complete["month"].max()
    latest = complete.filter(pl.col("month") == month)
    st.subheader(f"DORA 2023 benchmark, {month:%B %Y}")
    rows = []
    for column, (metric, texts) in GRID.items():
        row = {"Metric": metric}
        for level, text in zip(LEVELS, texts, strict=True):
            teams = latest.filter(pl.col(column) == level)["team"].to_list()
            if team:
                mark = " ◀ this team" if teams else ""
            else:
                mark = f" ◀ {len(teams)} team{'s' if len(teams) != 1 else ''}" if teams else ""
            row[level.capitalize()] = f"{text}{mark}"
        rows.append(row)
    grid = pl.DataFrame(rows)
    styled = grid.to_pandas().style.map(
        lambda v: "background-color: #d7ecd9; font-weight: 600" if "◀" in v else ""
    )
    st.dataframe(styled, hide_index=True, width="stretch")
    st.caption(
        "Levels of the DORA 2023 Accelerate State of DevOps report; a team month without deployments or incidents "
        "has no level for the metrics it cannot measure."
    )


def _trends(dora: pl.DataFrame) -> None:
    long = dora.unpivot(
        index=["month", "month_label", "team"], on=list(TRENDS), variable_name="metric"
    ).drop_nulls("value")
    long = long.with_columns(pl.col("metric").replace_strict(TRENDS))
    base = alt.Chart(long).encode(
        x=alt.X("month_label:O", title=None, sort=ui.in_order(long, "month_label", "month")),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("team:N", title="team"),
        tooltip=["team", "month_label", alt.Tooltip("value:Q", format=",.2f")],
    )
    chart = (
        (base.mark_line(point=True))
        .properties(width=230, height=170)
        .facet(facet=alt.Facet("metric:N", title=None, sort=list(TRENDS.values())), columns=3)
        .resolve_scale(y="independent")
    )
    st.altair_chart(chart)


def _drilldown(ctx: Context, tenant: str | None, team: str | None, dora: pl.DataFrame) -> None:
    """The rows behind a month's numbers: its production deployments (and the incidents they caused) and the
    commits behind its lead time."""
    st.subheader("Behind the numbers")
    months = dora.select("month", "month_label").unique().sort("month", descending=True)
    label = ui.choice("Month", "month", months["month_label"].to_list(), every="Choose a month", where=st)
    if label is None:
        st.caption(
            "Choose a month to see its deployments, the incidents they caused and the commits they shipped."
        )
        return
    month = months.filter(pl.col("month_label") == label)["month"][0]
    deployments = data.mart(ctx.settings, ctx.viewer, "dora_deployments", tenant, where={"month": month})
    commits = data.mart(ctx.settings, ctx.viewer, "dora_change_lead_times", tenant, where={"month": month})
    if team:
        deployments = deployments.filter(pl.col("team") == team)
        commits = commits.filter(pl.col("team") == team)
    failures = deployments.filter(pl.col("is_change_failure"))
    st.markdown(f"**Deployments that caused incidents** ({len(failures)} of {len(deployments)} attempts)")
    ui.table(
        ui.as_float(failures),
        "change_failures",
        DEPLOYMENTS,
        "No deployment of this month caused an incident.",
    )
    with st.expander(f"All production deployment attempts ({len(deployments)})"):
        ui.table(ui.as_float(deployments), "deployments", DEPLOYMENTS, "No deployment attempts this month.")
    with st.expander(f"Commits behind the lead time ({len(commits)})"):
        ui.table(
            ui.as_float(commits.sort("lead_time_hours", descending=True)),
            "lead_times",
            COMMITS,
            "No commits.",
        )


DEPLOYMENTS = {
    "deployment_id": Column("Deployment"),
    "team": Column("Team"),
    "service": Column("Service"),
    "finished_at": Column("Finished (UTC)"),
    "deployment_status": Column("Status"),
    "commits_deployed": Column("Commits", COUNT),
    "lead_time_p50_hours": Column("Lead time p50 (h)", DECIMAL),
    "incidents_caused": Column("Incidents caused", COUNT),
    "caused_incident_ids": Column("Incidents"),
    "failed_deployment_recovery_hours": Column("Recovered after (h)", DECIMAL),
}
COMMITS = {
    "commit_sha": Column("Commit"),
    "pr_id": Column("Pull request"),
    "team": Column("Team"),
    "committed_at": Column("Committed (UTC)"),
    "deployment_id": Column("First deployed by"),
    "deployed_at": Column("Deployed (UTC)"),
    "lead_time_hours": Column("Lead time (h)", DECIMAL),
}

ui.show("Delivery", _render)
