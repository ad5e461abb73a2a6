"""``opslake serve``: long-running receivers."""

from __future__ import annotations

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
    segment_seconds: Annotated[
        float, typer.Option(help="Seconds after which a landing segment is closed, ready for ingestion.")
    ] = 5.0,
    refresh: Annotated[
        float,
        typer.Option(
            help="Every this many seconds, build what landed into the marts and the publication (`opslake run "
            "--every` in a child process); 0: leave it to the Dagster landing sensor or to `opslake run`."
        ),
    ] = 0,
) -> None:
    """Receive GitHub, PagerDuty and Jira webhooks at /webhooks/<source>: each signed delivery is written to
    landing/<source>/ and fsynced before it is answered 202."""
    import uvicorn

    from ingestion.webhooks.journal import ReceiverRunning, receiver_lock
    from ingestion.webhooks.receiver import create_app
    from ingestion.webhooks.signatures import secrets_file
    from ingestion.webhooks.sources import SOURCES

    settings = Settings.from_env()
    try:
        with receiver_lock(settings):
            try:
                app = create_app(settings, segment_seconds)
            except PermissionError as e:
                console.print(error_markup(str(e), "close the secret file to its owner, then start again"))
                raise typer.Exit(2) from None
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
            for name, source in SOURCES.items():
                console.print(
                    f"{name}: http://{host}:{port}/webhooks/{name}  (secrets: {secrets_file(settings, source)})",
                    soft_wrap=True,
                )
            refresher = None
            if refresh > 0:
                from cli.refresh import Refresher

                refresher = Refresher(settings, refresh)
                console.print(f"building what lands into the publication every {refresh:g} s")
            try:
                uvicorn.run(
                    app,
                    host=host,
                    port=port,
                    log_level="warning",
                    access_log=False,
                    loop="uvloop",
                    http="httptools",
                )
            finally:
                if refresher:
                    refresher.stop()
    except ReceiverRunning as e:
        console.print(
            error_markup(
                f"another receiver is running on this home ({settings.home}), or an erasure is rewriting its files",
                "stop the other receiver (or wait for the erasure), then start again",
            )
        )
        raise typer.Exit(2) from e
