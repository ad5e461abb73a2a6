"""`opslake sql`: an analyst's statements on the published warehouse, results on stdout, notes on stderr.

This module is what the command line needs before anything runs (the options' choices and defaults); the work
lives in ``problems`` (what went wrong and what to do), ``output`` (the formats) and ``prompt`` (no query given).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

TIMEOUT = 60.0  # seconds an analyst's statement may run before it is stopped
MAX_ROWS = 50  # rows the table format shows


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


class Problem(Exception):
    """Why a statement gave no result, in the analyst's words, and what to do next."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Output:
    """Where and how results are written: built from the command's options, passed down."""

    format: Format = Format.TABLE
    path: str | None = None  # None: stdout
    columns: tuple[str, ...] = ()  # empty: every column
    max_rows: int = MAX_ROWS
