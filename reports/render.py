"""A pack's human-readable report: ``report.html`` and the same page laid out as ``report.pdf`` by WeasyPrint.

Both are written before the manifest is made, so they are hashed and signed with the CSV files. Their bytes
depend only on the publication and the dbt project (no time of generation), so a closed period generated twice
gives the same files.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from reports.charts import exception_rate_chart
from reports.contents import Report

HTML, PDF = "report.html", "report.pdf"
_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("reports"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)
# WeasyPrint and fontTools log warnings (unsupported CSS, font subsetting) that mean nothing to a user.
_CHATTY_LOGGERS = ("weasyprint", "fontTools")


def _utc(value: dt.datetime | None) -> str:
    return "" if value is None else f"{value.astimezone(dt.UTC):%Y-%m-%d %H:%M}"


def _ticks(text: str) -> Markup:
    """The dbt project's prose marks names with backticks, as Markdown does: show them as code."""
    return Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(text))))


def _breakable(name: str) -> Markup:
    """A snake_case name that may wrap after its underscores (a narrow column breaks it there, not mid-word)."""
    return Markup("_<wbr>").join(name.split("_"))


_TEMPLATES.filters.update(utc=_utc, ticks=_ticks, breakable=_breakable)


def html(report: Report) -> str:
    controls = report.summary["controls"]
    counts = Counter(c["status"] for c in controls)
    totals = {key: sum(c[key] for c in controls) for key in ("population", "exceptions", "exception_rows")}
    charts = [
        exception_rate_chart(c.trend, f"{c.summary['control_id']}: exception rate per month")
        for c in report.controls
    ]
    as_of = report.summary["as_of"]
    return _TEMPLATES.get_template("report.html.j2").render(
        report=report,
        as_of=_utc(dt.datetime.fromisoformat(as_of)) + " UTC" if as_of else "unknown",
        counts={s: counts.get(s, 0) for s in ("pass", "fail", "not_applicable")},
        totals=totals,
        charts=charts,
    )


def write(report: Report, folder: Path) -> None:
    """Write ``report.html`` and ``report.pdf`` into the pack's folder."""
    page = html(report)
    (folder / HTML).write_text(page)
    (folder / PDF).write_bytes(pdf(page))


class RendererMissing(RuntimeError):
    """The PDF renderer's system libraries (Pango) are not installed."""


def pdf(page: str) -> bytes:
    try:
        from weasyprint import HTML as Document  # a second's import, paid only when a pack is made
    except OSError as missing:  # WeasyPrint loads Pango when imported
        raise RendererMissing(f"report.pdf cannot be rendered: {missing}") from None

    with _quiet(_CHATTY_LOGGERS):
        return Document(string=page).write_pdf()


@contextmanager
def _quiet(names: tuple[str, ...]) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
