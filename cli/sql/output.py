"""Writing a result as a table, CSV, JSON lines or Parquet: data only, so that it can be redirected.

JSON keeps numbers numbers (a decimal is written with all its digits, not as a string or a rounded float), lists
arrays and dates ISO strings; CSV writes a nested value as a JSON array in its cell. A table too wide for the
terminal is printed one ``column | value`` block per row, like psql's expanded display.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import IO, Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from cli.sql import Format, Output, Problem


def write(rows: pa.Table, out: Output, notes: Console) -> None:
    """Write ``rows`` where ``out`` says; anything said about them (truncation) goes to ``notes``."""
    rows = _select(rows, out.columns)
    if out.format is Format.PARQUET:
        with _binary(out.path) as stream:
            pq.write_table(rows, stream)
        return
    with _text(out.path) as stream:
        if out.format is Format.CSV:
            pacsv.write_csv(_flatten(rows), stream.buffer)
        elif out.format is Format.JSON:
            for row in rows.to_pylist():
                stream.write(to_json(row) + "\n")
        else:
            _table(rows, out.max_rows, Console(file=stream), notes)


def _select(rows: pa.Table, columns: tuple[str, ...]) -> pa.Table:
    if unknown := [c for c in columns if c not in rows.column_names]:
        raise Problem(
            f"the result has no column {', '.join(unknown)}",
            f"--columns takes names from the result: {', '.join(rows.column_names)}",
        )
    return rows.select(list(columns)) if columns else rows


@contextmanager
def _binary(path: str | None) -> Iterator[IO[bytes]]:
    if path:
        with open(path, "wb") as f:
            yield f
    elif sys.stdout.isatty():
        raise Problem(
            "Parquet is binary and stdout is a terminal", "give --output FILE or redirect: > out.parquet"
        )
    else:
        yield sys.stdout.buffer


@contextmanager
def _text(path: str | None) -> Iterator[IO[str]]:
    if path:
        with open(path, "w", newline="") as f:
            yield f
    else:
        yield sys.stdout
        sys.stdout.flush()


def to_json(value: Any) -> str:
    """JSON for one value as DuckDB returns it; ``json.dumps`` would make a decimal a string or a float."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else "null"
    if isinstance(value, float) and not math.isfinite(value):
        return "null"  # JSON has no NaN or infinity
    if isinstance(value, dt.date | dt.time):
        return json.dumps(value.isoformat())
    if isinstance(value, bytes):
        return json.dumps(base64.b64encode(value).decode())
    if isinstance(value, str | int | float | bool) or value is None:
        return json.dumps(value)
    return json.dumps(str(value))  # intervals, UUIDs


def _flatten(rows: pa.Table) -> pa.Table:
    """Nested columns as JSON text: CSV has no lists, and pyarrow refuses to write them."""
    for i, field in enumerate(rows.schema):
        if pa.types.is_nested(field.type):
            text = [None if v is None else to_json(v) for v in rows.column(i).to_pylist()]
            rows = rows.set_column(i, field.name, pa.array(text, pa.string()))
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return ""
    return to_json(value) if isinstance(value, list | dict) else str(value)


def _table(rows: pa.Table, max_rows: int, console: Console, notes: Console) -> None:
    shown = [[_cell(v) for v in row.values()] for row in rows.slice(0, max_rows).to_pylist()]
    widths = [max([len(name), *(len(r[i]) for r in shown)]) for i, name in enumerate(rows.column_names)]
    if sum(widths) + 3 * len(widths) + 1 <= console.width:
        table = Table(*rows.column_names)
        for row in shown:
            table.add_row(*row)
        console.print(table)
    else:  # too wide: one block per row keeps every value whole
        _vertical(rows.column_names, shown, console)
    if rows.num_rows > max_rows:
        notes.print(f"showing {max_rows:,} of {rows.num_rows:,} rows; use --max-rows or --format csv")
    else:
        notes.print(f"({rows.num_rows:,} row{'' if rows.num_rows == 1 else 's'})")


def _vertical(names: list[str], shown: list[list[str]], console: Console) -> None:
    pad = max(len(n) for n in names)
    for i, row in enumerate(shown, 1):
        console.print(f"-[ row {i} ]" + "-" * max(0, pad - 6), markup=False, highlight=False)
        for name, value in zip(names, row, strict=True):
            console.print(f"{name.ljust(pad)} | {value}", markup=False, highlight=False, soft_wrap=True)
