"""``opslake serve``: long-running receivers."""

from __future__ import annotations

import fcntl
import logging
from typing import Annotated

import typer
from rich.console import Console

from cli.errors import error_markup
from opslake.settings import Settings

serve_app = typer.Typer(help="Long-running receivers.")
console = Console(stderr=True)


@serve_app.command("webhooks")
def webhooks(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8600,
) -> None:
    """Receive GitHub, PagerDuty and Jira webhooks at /webhooks/<source>: each signed delivery is written to
    landing/<source>/ and fsynced before it is answered 202."""
    import uvicorn

    from ingestion.webhooks.receiver import create_app
    from ingestion.webhooks.signatures import secrets_file
    from ingestion.webhooks.sources import SOURCES

    settings = Settings.from_env()
    settings.locks.mkdir(parents=True, exist_ok=True)
    with open(settings.locks / "webhooks.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            console.print(
                error_markup(
                    f"another receiver is running on this home ({settings.home})",
                    "stop it first: one receiver per home closes the segments it leaves after a crash",
                )
            )
            raise typer.Exit(2) from None
        try:
            app = create_app(settings)
        except PermissionError as e:
            console.print(error_markup(str(e), "close the secret file to its owner, then start again"))
            raise typer.Exit(2) from None
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
        for name, source in SOURCES.items():
            console.print(
                f"{name}: http://{host}:{port}/webhooks/{name}  (secrets: {secrets_file(settings, source)})",
                soft_wrap=True,
            )
        uvicorn.run(
            app, host=host, port=port, log_level="warning", access_log=False, loop="uvloop", http="httptools"
        )
