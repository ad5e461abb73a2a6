"""One thing an analyst typed: a SQL statement, run on the publication, or one of the prompt's dot commands."""

from __future__ import annotations

import re

import duckdb
import pyarrow as pa
from rich.console import Console

from cli.sql import Output, Problem
from cli.sql.output import write
from cli.sql.problems import explain
from opslake.publication import NotPublished, TimedOut, query, readable_tables, sql_literal
from opslake.settings import Settings

QUIT = (".quit", ".exit")
HELP = """\
Statements end with `;` and may span lines; unqualified names are the marts (`health.` for the data health).
  .tables          the tables you can read, with their rows
  describe TABLE;  a table's columns, types and meanings
  .help            this text
  .quit            leave (or Ctrl-D); Ctrl-C clears the statement being typed
Up and down arrows go through the statements of earlier sessions."""


DESCRIBE = re.compile(r"(?i)describe\s+(?:\"?(?P<schema>\w+)\"?\.)?\"?(?P<table>\w+)\"?")


def run(settings: Settings, text: str, out: Output, timeout: float, notes: Console) -> None:
    """Run ``text`` and write its result; a Problem says why it has none."""
    command = text.strip().rstrip(";").strip()
    try:
        if command == ".help":
            notes.print(HELP, markup=False, highlight=False)
        elif command == ".tables":
            tables = readable_tables(settings)
            write(pa.table({"table": list(tables), "rows": list(tables.values())}), out, notes)
        elif command.startswith("."):
            raise Problem(f"unknown command {command}", ".help lists the commands")
        elif match := DESCRIBE.fullmatch(command):
            write(_described(settings, match["schema"], match["table"], timeout), out, notes)
        elif (rows := query(settings, text, timeout)) is not None:
            write(rows, out, notes)
    except (NotPublished, TimedOut, duckdb.Error) as e:
        raise explain(e, settings) from None


def _described(settings: Settings, schema: str | None, table: str, timeout: float) -> pa.Table:
    """A table's columns with their types and the comments the publication carries (DuckDB's own ``describe``
    leaves comments out); an unknown table is said as DuckDB says it."""
    where = f"table_name = {sql_literal(table)}" + (
        f" and schema_name = {sql_literal(schema)}" if schema else ""
    )
    rows = query(
        settings,
        "select column_name as column, data_type as type, comment as meaning from duckdb_columns() "
        f"where database_name = current_database() and {where} "
        f"and schema_name = (select schema_name from duckdb_tables() where database_name = current_database() "
        f"and {where} order by schema_name <> current_schema() limit 1) order by column_index",
        timeout,
    )
    if rows is None or not rows.num_rows:
        query(
            settings, f'describe "{schema}"."{table}"' if schema else f'describe "{table}"', timeout
        )  # raises
    return rows
