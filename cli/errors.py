"""How the command line says something went wrong: the cause in a sentence, then the next step."""

from __future__ import annotations

BUSY = 75  # EX_TEMPFAIL: another writer held the lake; the same command may simply be run again later


def error_markup(message: str, hint: str) -> str:
    """Rich markup of an error and its next step (``message`` and ``hint`` are markup themselves)."""
    return f"[red]error:[/red] {message}\n[dim]next: {hint}[/dim]"
