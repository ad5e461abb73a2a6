"""What every page shares: the freshness line, filters kept in the URL, tables people read and download, partial
periods said to be partial, and errors said as a sentence."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import polars as pl
import streamlit as st

from dashboards import data
from dashboards.data import Viewer
from opslake.publication import NotPublished
from opslake.settings import Settings

log = logging.getLogger("opslake.dashboards")

ALL = "All"
RENDERED = "opslake-rendered"  # class of the marker each page run ends with
PAGE_INPUTS = "page_inputs"  # the router's (settings, viewer) for the page scripts
SHOWN_ROWS = 1_000  # rows a table sends to the browser; its CSV download has every row
MONEY, COUNT, SHARE, DECIMAL = "accounting", "localized", "percent", "%.1f"  # 1,234.00; 1,234; 12.3%; 1.2


@dataclass(frozen=True)
class Column:
    """How people see one column: its label, and its number format (None: text)."""

    label: str
    format: str | None = None
    help: str | None = None


@dataclass(frozen=True)
class Context:
    """What a page is rendered for: the settings, the viewer, and the data's time."""

    settings: Settings
    viewer: Viewer
    as_of: dt.datetime

    @property
    def current_month(self) -> dt.date:
        """The month the data is still arriving in: partial."""
        return self.as_of.date().replace(day=1)

    @property
    def current_week(self) -> dt.date:
        """The ISO week (Monday) the data is still arriving in: partial."""
        today = self.as_of.date()
        return today - dt.timedelta(days=today.weekday())


def show(title: str, render: Callable[[Context], None], reads_publication: bool = True) -> None:
    """Run a page script (the router put the settings and the signed-in viewer in the session): its title and
    freshness line, the empty state before the first build, and any error said as a sentence (and logged) rather
    than a traceback. A page that does not read the publication (user management) works before any build."""
    settings, viewer = st.session_state[PAGE_INPUTS]
    st.title(title)
    try:
        _page(settings, viewer, render, reads_publication)
    except data.Forbidden:
        st.warning("Your role does not open this page.")
    except NotPublished:
        st.warning("The published warehouse was replaced while this page read it: reload the page.")
    except Exception:  # a page never shows a traceback: a sentence, and the details in the log
        log.exception("page %s failed", title)
        st.error(
            f"The {title} page could not be shown: the error is in the dashboard's log. "
            "Reload the page; if it persists, run `opslake status` to check the publication."
        )
    # The last element of every run: browser tests and `opslake bench pages` know the page is complete when a
    # marker of this page with a new nonce arrives (elements of the previous run linger until then).
    st.html(f'<span class="{RENDERED}" data-page="{title}" data-nonce="{secrets.token_hex(8)}"></span>')


def _page(
    settings: Settings, viewer: Viewer, render: Callable[[Context], None], reads_publication: bool
) -> None:
    if not reads_publication:
        render(Context(settings, viewer, dt.datetime.now(dt.UTC)))
        return
    published = data.publication(settings)
    if published is None:
        st.info("Nothing has been published yet: run `opslake run`, and this page shows its results.")
        return
    as_of = published.as_of or published.built_at
    st.caption(f"Data as of {as_of:%Y-%m-%d %H:%M} UTC, built {published.built_at:%Y-%m-%d %H:%M} UTC")
    render(Context(settings, viewer, as_of))


def tenant_filter(ctx: Context) -> str | None:
    """The tenant chosen in the URL or the selector; a tenant viewer has no choice to make."""
    if ctx.viewer.tenant_id:
        st.caption(f"Tenant **{ctx.viewer.tenant_id}**")
        return ctx.viewer.tenant_id
    chosen = choice("Tenant", "tenant", data.tenants(ctx.settings, ctx.viewer), every="All tenants")
    return chosen


def choice(label: str, param: str, options: Sequence[str], every: str = ALL, where=st) -> str | None:
    """A selector whose value is kept in the URL's ``param``, so a view can be shared; None means every option.
    A URL value that is not an option is ignored."""
    shown = [every, *options]
    wanted = st.query_params.get(param)
    chosen = where.selectbox(
        label, shown, index=shown.index(wanted) if wanted in shown else 0, key=f"f_{param}"
    )
    if chosen == every:
        st.query_params.pop(param, None)
        return None
    st.query_params[param] = chosen
    return chosen


def table(frame: pl.DataFrame, name: str, columns: dict[str, Column], empty: str, height: int | None = None):
    """A table with people's labels and formats, and its CSV download; ``empty`` is said when there are no rows."""
    if frame.is_empty():
        st.info(empty)
        return
    config = {}
    for key, col in columns.items():
        if key not in frame.columns:
            continue
        kind = frame.schema[key]
        if isinstance(kind, pl.Datetime):
            config[key] = st.column_config.DatetimeColumn(col.label, format="YYYY-MM-DD HH:mm", help=col.help)
        elif isinstance(kind, pl.List):
            config[key] = st.column_config.ListColumn(col.label, help=col.help)
        elif kind == pl.Date:
            config[key] = st.column_config.DateColumn(col.label, format="YYYY-MM-DD", help=col.help)
        elif col.format is None:
            config[key] = st.column_config.TextColumn(col.label, help=col.help)
        else:
            config[key] = st.column_config.NumberColumn(col.label, format=col.format, help=col.help)
    shown = frame.select([c for c in columns if c in frame.columns])
    st.dataframe(
        shown.head(SHOWN_ROWS),
        hide_index=True,
        width="stretch",
        column_config=config,
        height=height or "auto",
    )
    if len(shown) > SHOWN_ROWS:
        st.caption(f"The first {SHOWN_ROWS:,} of {len(shown):,} rows; the CSV has them all.")
    st.download_button(
        "Download CSV",
        lambda: _csv(shown),  # made when clicked, not on every run
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv_{name}",
        type="tertiary",
    )


def _csv(frame: pl.DataFrame) -> str:
    """CSV of the frame; lists become ``a;b`` cells, since CSV has no lists."""
    lists = [n for n, t in frame.schema.items() if isinstance(t, pl.List)]
    return frame.with_columns(pl.col(lists).list.join(";")).write_csv()


def period_label(start: str, unit: str) -> pl.Expr:
    """A period's label for tables and charts: its start and, for a period the data covers only in part, how
    much, e.g. `2026-11 (partial: 6 of 30 days)`. Read from the mart's own `is_partial`, `days_covered` and
    `days_in_period` (against the data's as-of), so the page says what the mart says."""
    label = pl.col(start).dt.strftime("%Y-%m" if unit == "month" else "%Y-%m-%d")
    return (
        pl.when(pl.col("is_partial"))
        .then(pl.format("{} (partial: {} of {} days)", label, "days_covered", "days_in_period"))
        .otherwise(label)
    )


def in_order(frame: pl.DataFrame, label: str, period: str) -> list[str]:
    """The period labels of a frame in time order, for a chart's ordinal axis."""
    return frame.select(label, period).unique().sort(period)[label].to_list()


def as_float(frame: pl.DataFrame) -> pl.DataFrame:
    """Decimals as floats: Vega and the CSV reader of a spreadsheet take them as numbers, not unscaled integers."""
    return frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def hours(value: float | None) -> str:
    """A duration for people: minutes, hours or days."""
    if value is None:
        return "–"
    if value < 1:
        return f"{value * 60:.0f} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} d"


def number(value: float | int | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"
