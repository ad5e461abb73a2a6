"""Turning what DuckDB or the publication raised into a Problem: the cause in a sentence and the next step."""

from __future__ import annotations

import re

import duckdb

from cli.sql import Problem
from opslake.publication import NotPublished, TimedOut, readable_tables
from opslake.settings import Settings

UNKNOWN_TABLE = re.compile(r"Table with name (\S+) does not exist")
# what the read-only, no-external-access, locked-configuration analyst connection refuses
REFUSED = re.compile(
    r"configuration has been locked|attached in read-only mode|disabled (by|through) configuration"
)
ANALYST_ONLY = (
    "the analyst role reads the published marts only: no files, attach, install, copy, set or writes"
)
TABLES_HINT = (
    "`opslake sql` then `.tables` lists the tables with their rows; `describe TABLE` shows its columns"
)


def explain(error: Exception, settings: Settings) -> Problem:
    """The Problem for ``error`` raised by ``publication.query``; an error of another kind is re-raised."""
    if isinstance(error, NotPublished):
        return Problem(str(error), error.hint)
    if isinstance(error, TimedOut):
        return Problem(
            str(error), "narrow the query (a where clause, a limit) or give it longer with --timeout"
        )
    if not isinstance(error, duckdb.Error):
        raise error
    text = str(error).strip()
    if isinstance(error, duckdb.CatalogException) and (unknown := UNKNOWN_TABLE.search(text)):
        tables = ", ".join(readable_tables(settings))
        return Problem(f"there is no table {unknown[1]}", f"the tables you can read: {tables}")
    if isinstance(error, duckdb.PermissionException) or REFUSED.search(text):
        return Problem(f"refused: {text.splitlines()[0]}", ANALYST_ONLY)
    if isinstance(error, duckdb.ParserException):
        return Problem(text, "correct the statement where the ^ marks")
    return Problem(text, TABLES_HINT)
