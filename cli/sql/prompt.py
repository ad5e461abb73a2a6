"""`opslake sql` with no query: a prompt with history on a terminal, else the statements piped to stdin.

A statement ends with ``;`` at the end of a line (Enter before that continues it on the next line); a line that
starts with ``.`` is a command. The history file is owner-only: statements may quote data.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from rich.console import Console
from rich.markup import escape

from cli.errors import error_markup
from cli.sql import Format, Output, Problem
from cli.sql.statements import QUIT, run
from opslake.settings import Settings


def main(settings: Settings, out: Output, timeout: float, notes: Console) -> int:
    """Run every statement typed or piped in, going on after a failure; returns how many failed."""
    if out.format is Format.PARQUET or out.path:
        raise Problem(
            "Parquet and --output hold the result of one query",
            'give the query: opslake sql "select ..." --format parquet --output FILE',
        )
    source = _typed(settings, notes) if sys.stdin.isatty() else statements(sys.stdin)
    failed = 0
    for text in source:
        if text.strip().rstrip(";") in QUIT:
            break
        try:
            run(settings, text, out, timeout, notes)
        except Problem as p:
            failed += 1
            notes.print(error_markup(escape(p.message), escape(p.hint)), soft_wrap=True)
        except KeyboardInterrupt:  # Ctrl-C stops the statement running, not the session
            failed += 1
            notes.print("[yellow]cancelled[/yellow]")
    return failed


def complete(text: str) -> bool:
    """Whether ``text`` is ready to run: a dot command, or a statement whose last token is a ``;`` (one inside
    a string, a quoted name or a comment does not end it)."""
    text = text.strip()
    return not text or text.startswith(".") or _ends_with_semicolon(text)


def _ends_with_semicolon(sql: str) -> bool:
    last, i = "", 0
    while i < len(sql):
        char, pair = sql[i], sql[i : i + 2]
        if char in "'\"":  # a string or quoted name, doubled quotes escaping: ends at the next lone quote
            end = i + 1
            while (end := sql.find(char, end)) != -1 and sql[end + 1 : end + 2] == char:
                end += 2
            if end == -1:
                return False  # still inside it
            last, i = char, end + 1
        elif pair == "--":
            end = sql.find("\n", i)
            i = len(sql) if end == -1 else end + 1
        elif pair == "/*":
            end = sql.find("*/", i + 2)
            if end == -1:
                return False
            i = end + 2
        else:
            last = char if not char.isspace() else last
            i += 1
    return last == ";"


def statements(lines: Iterable[str]) -> Iterator[str]:
    """The statements in ``lines``, as the prompt would have run them; a last one without ``;`` runs too."""
    pending = ""
    for line in lines:
        pending += line
        if complete(pending):
            if pending.strip():
                yield pending
            pending = ""
    if pending.strip():
        yield pending


def _typed(settings: Settings, notes: Console) -> Iterator[str]:
    notes.print("[dim]opslake sql: statements end with ; — .help, .tables, .quit[/dim]")
    session = PromptSession(
        history=FileHistory(_history_file(settings)),
        multiline=True,
        key_bindings=_enter_runs_complete_statements(),
        prompt_continuation="   -> ",
    )
    while True:
        try:
            text = session.prompt("sql> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            return
        if text.strip():
            yield text


def _history_file(settings: Settings) -> str:
    path = settings.sql_history
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
    path.chmod(0o600)  # a file made before this rule
    return str(path)


def _enter_runs_complete_statements() -> KeyBindings:
    keys = KeyBindings()

    @keys.add("enter")
    def _(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    return keys
