"""Compliance: the controls of each framework (SOC 2 criteria, GDPR) with pass / fail / not-applicable counts per
tenant and month, each control's trend, and the exceptions with their evidence event ids and detail."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import data, ui
from dashboards.ui import COUNT, DECIMAL, Column, Context

STATUSES = {"pass": "#4c9a5b", "fail": "#d1495b", "not_applicable": "#b8b8b8"}
FRAMEWORKS = {"SOC2": "SOC 2 (Trust Services Criteria)", "GDPR": "GDPR"}
CONTROLS = {
    "control_id": Column("Control"),
    "control_title": Column("Title"),
    "tenant_id": Column("Tenant"),
    "population": Column("Population", COUNT, "Items tested."),
    "exceptions": Column("Exceptions", COUNT),
    "status": Column("Status"),
}
EXCEPTIONS = {
    "control_id": Column("Control"),
    "tenant_id": Column("Tenant"),
    "exception_type": Column("Exception"),
    "occurred_at": Column("At (UTC)"),
    "detail": Column("Detail"),
    "measured_value": Column("Measured", DECIMAL),
    "threshold_value": Column("Threshold", DECIMAL),
    "population_item_id": Column("Item"),
    "evidence_event_ids": Column("Evidence event ids"),
    "exception_id": Column("Exception id"),
}


def _render(ctx: Context) -> None:
    tenant = ui.tenant_filter(ctx)
    controls = data.mart(ctx.settings, ctx.viewer, "compliance_controls", tenant)
    if controls.is_empty():
        st.info("No control results for this selection.")
        return
    controls = controls.with_columns(month_label=ui.period_label("month", "month"))
    periods = controls.select("month", "month_label", "is_partial").unique().sort("month", descending=True)
    months, labels = periods["month"].to_list(), periods["month_label"].to_list()
    closed = next((p["month_label"] for p in periods.iter_rows(named=True) if not p["is_partial"]), labels[0])
    wanted = st.query_params.get("month")
    label = st.selectbox(
        "Month",
        labels,
        index=labels.index(wanted) if wanted in labels else labels.index(closed),
        key="f_month",
    )
    st.query_params["month"] = label
    month = months[labels.index(label)]
    if periods.filter(pl.col("month") == month)["is_partial"].item():
        st.warning(
            f"{label}: its items are tested as they become decidable, so its results can still change."
        )
    in_month = controls.filter(pl.col("month") == month)
    _tree(in_month)
    _trend(controls)
    _exceptions(ctx, tenant, month, sorted(in_month["control_id"].unique().to_list()))


def _tree(in_month: pl.DataFrame) -> None:
    """Framework, then criterion and control: how many tenants pass, fail or have nothing to test."""
    st.subheader("Controls")
    for framework in sorted(in_month["framework"].unique().to_list(), reverse=True):
        rows = in_month.filter(pl.col("framework") == framework)
        counts = rows.group_by("criterion", "control_id", "control_title").agg(
            *((pl.col("status") == status).sum().alias(status) for status in STATUSES),
            pl.col("exceptions").sum(),
        )
        failing = int(counts["fail"].sum())
        st.markdown(
            f"#### {FRAMEWORKS.get(framework, framework)} · {failing} failing tenant-control{'s' if failing != 1 else ''}"
        )
        for control in counts.sort("control_id").iter_rows(named=True):
            icon = (
                ":material/error:"
                if control["fail"]
                else (":material/check_circle:" if control["pass"] else ":material/remove_circle_outline:")
            )
            title = (
                f"**{control['control_id']}** {control['control_title']} — :green[{control['pass']} pass], "
                f":red[{control['fail']} fail], {control['not_applicable']} not applicable"
            )
            with st.expander(title, expanded=False, icon=icon):
                st.caption(f"Criteria: {control['criterion']}")
                ui.table(
                    rows.filter(pl.col("control_id") == control["control_id"]).sort("status", "tenant_id"),
                    f"controls_{control['control_id']}",
                    CONTROLS,
                    "No tenant.",
                )


def _trend(controls: pl.DataFrame) -> None:
    st.subheader("Trend per control")
    counts = controls.group_by("control_id", "month", "month_label", "status").agg(tenants=pl.len())
    chart = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("month_label:O", title=None, sort=ui.in_order(counts, "month_label", "month")),
            y=alt.Y("tenants:Q", title="tenants"),
            color=alt.Color(
                "status:N", scale=alt.Scale(domain=list(STATUSES), range=list(STATUSES.values())), title=None
            ),
            tooltip=["control_id", "month_label", "status", "tenants"],
        )
        .properties(width=170, height=140)
        .facet(facet=alt.Facet("control_id:N", title=None), columns=4)
    )
    st.altair_chart(chart)


def _exceptions(ctx: Context, tenant: str | None, month, control_ids: list[str]) -> None:
    st.subheader(f"Exceptions, {month:%B %Y}")
    found = data.mart(ctx.settings, ctx.viewer, "compliance_exceptions", tenant).filter(
        pl.col("month") == month
    )
    control = ui.choice("Control", "control", control_ids, every="Every control")
    if control:
        found = found.filter(pl.col("control_id") == control)
    st.caption("Each breached rule, with the events that evidence it (event ids in silver and bronze).")
    ui.table(
        ui.as_float(found.sort("control_id", "occurred_at")),
        "compliance_exceptions",
        EXCEPTIONS,
        "No exceptions.",
    )


ui.show("Compliance", _render)
