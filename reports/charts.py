"""Inline SVG charts for the report: drawn here, so the report needs no browser, network or plotting library.

SVG text is measured by no one: sizes are chosen so the longest label ("1,234 of 12,345", "2026-10 partial")
fits its slot at the font size used, for the six months a trend shows.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 560, 170
LEFT, RIGHT, TOP, BOTTOM = 60, 8, 16, 40  # margins: the y labels left, two lines of x labels below
FONT = "DejaVu Sans, sans-serif"
BAR, PARTIAL_BAR, NO_EXCEPTION, AXIS, GRID, INK = "#c0392b", "#e6a39b", "#2e7d32", "#555", "#ddd", "#222"


@dataclass(frozen=True)
class Month:
    """One month of a control's trend."""

    month: dt.date
    population: int
    exceptions: int
    is_partial: bool

    @property
    def rate(self) -> float | None:
        """Exceptions per tested item, in percent; None when nothing was tested (not applicable)."""
        return 100 * self.exceptions / self.population if self.population else None


def _top(highest: float) -> float:
    """A round upper bound of the y axis (1, 2, 5 x 10^n percent), at least 1%."""
    if highest <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(highest))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= highest)


def _percent(value: float) -> str:
    return f"{value:.0f}%" if value >= 10 or value == 0 else f"{value:.1f}%"


def exception_rate_chart(months: list[Month], title: str) -> str:
    """Bars of the exception rate per month, each labelled with its exceptions and population; a partial month is
    drawn lighter and says so, a month with nothing tested says n/a."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _top(max((m.rate or 0 for m in months), default=0))

    def y(rate: float) -> float:
        return TOP + plot_h * (1 - rate / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="10" fill="{INK}">',
        f"<title>{escape(title)}</title>",
    ]
    for tick in (0, top / 2, top):
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            f'stroke="{AXIS if tick == 0 else GRID}" stroke-width="1"/>'
            f'<text x="{LEFT - 5}" y="{y(tick) + 3.5:.1f}" text-anchor="end">{tick:g}%</text>'
        )
    parts.append(
        f'<text x="10" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" font-size="9" '
        f'transform="rotate(-90 10 {TOP + plot_h / 2:.1f})">exception rate</text>'
    )
    slot = plot_w / max(len(months), 1)
    for i, m in enumerate(months):
        centre = LEFT + slot * (i + 0.5)
        parts.append(_bar(m, centre, slot * 0.55, y, plot_h))
        label = f"{m.month:%Y-%m}" + (" partial" if m.is_partial else "")
        counts = f"{m.exceptions:,} of {m.population:,}" if m.population else "nothing tested"
        base = TOP + plot_h
        parts.append(
            f'<text x="{centre:.1f}" y="{base + 14}" text-anchor="middle" font-weight="bold">{label}</text>'
            f'<text x="{centre:.1f}" y="{base + 27}" text-anchor="middle" font-size="9" fill="{AXIS}">'
            f"{counts}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _bar(m: Month, centre: float, width: float, y: Callable[[float], float], plot_h: float) -> str:
    base = TOP + plot_h
    if m.rate is None:
        return f'<text x="{centre:.1f}" y="{base - 4}" text-anchor="middle" fill="{AXIS}">n/a</text>'
    if m.exceptions == 0:
        return f'<text x="{centre:.1f}" y="{base - 4}" text-anchor="middle" fill="{NO_EXCEPTION}">0%</text>'
    top = min(y(m.rate), base - 1.5)  # a tiny rate still shows a sliver
    colour = PARTIAL_BAR if m.is_partial else BAR
    return (
        f'<rect x="{centre - width / 2:.1f}" y="{top:.1f}" width="{width:.1f}" height="{base - top:.1f}" '
        f'fill="{colour}"/>'
        f'<text x="{centre:.1f}" y="{top - 3:.1f}" text-anchor="middle">{_percent(m.rate)}</text>'
    )
