"""`opslake catalog` in a terminal: an overview of the published tables, or one table with its columns."""

from __future__ import annotations

from enum import StrEnum

from rich.console import Group, RenderableType
from rich.table import Table as Grid
from rich.text import Text

from opslake.catalog import Table


class CatalogFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


def overview(tables: list[Table]) -> RenderableType:
    """One line per table: rows, the first sentence of its meaning, what it is built from."""
    grid = Grid(title="published tables", caption=_CAPTION)
    grid.add_column("table", no_wrap=True)
    grid.add_column("rows", justify="right")
    grid.add_column("meaning", ratio=3)
    grid.add_column("built from", ratio=2, overflow="fold")
    for t in tables:
        grid.add_row(t.name, f"{t.rows:,}", _first_sentence(t.meaning), ", ".join(t.built_from))
    return grid


_CAPTION = "`opslake catalog TABLE` shows a table's columns, definition and sources; --format json all of it"


def detail(table: Table) -> RenderableType:
    """A table's meaning, definition and lineage, then its columns with their types and meanings."""
    lines = [Text(table.name, style="bold"), Text(f"{table.rows:,} rows"), Text(table.meaning)]
    if table.definition:
        lines.append(Text(f"definition: {table.definition}"))
    if table.built_from:
        arrow = f" \u2190 {', '.join(table.sources)}" if table.sources != table.built_from else ""
        lines.append(Text(f"built from {', '.join(table.built_from)}{arrow}"))
    columns = Grid()
    columns.add_column("column", no_wrap=True)
    columns.add_column("type", no_wrap=True)
    columns.add_column("meaning")
    for c in table.columns:
        columns.add_row(c.name, c.type, c.meaning)
    return Group(*lines, columns)


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    end = flat.find(". ")
    return flat if end < 0 else flat[: end + 1]
