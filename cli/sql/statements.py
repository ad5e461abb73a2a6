"""One thing an analyst typed: a SQL statement, run on the publication, or one of the prompt's dot commands."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from rich.console import Console

from cli.sql import Output, Problem
from cli.sql.output import write
from cli.sql.problems import explain
from opslake.publication import NotPublished, TimedOut, query, readable_tables
from opslake.settings import Settings

QUIT = (".quit", ".exit")
HELP = """\
Statements end with `;` and may span lines; unqualified names are the marts (`health.` for the data health).
  .tables          the tables you can read, with their rows
  describe TABLE;  a table's columns and types
  .help            this text
  .quit            leave (or Ctrl-D); Ctrl-C clears the statement being typed
Up and down arrows go through the statements of earlier sessions."""


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
        elif (rows := query(settings, text, timeout)) is not None:
            write(rows, out, notes)
    except (NotPublished, TimedOut, duckdb.Error) as e:
        raise explain(e, settings) from None
