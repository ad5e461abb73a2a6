"""How the command line says something went wrong: the cause in a sentence, then the next step."""

from __future__ import annotations


def error_markup(message: str, hint: str) -> str:
    """Rich markup of an error and its next step (``message`` and ``hint`` are markup themselves)."""
    return f"[red]error:[/red] {message}\n[dim]next: {hint}[/dim]"
