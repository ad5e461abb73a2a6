"""Serving dbt's docs site: a static folder over Python's own HTTP server, on this machine by default."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        """No line per request on the terminal: the URL printed at start is what the user needs."""


def serve(site: Path, host: str, port: int, started: Callable[[str], None]) -> None:
    """Serve ``site`` at ``host:port`` until interrupted; ``started`` gets the URL once it listens."""
    handler = functools.partial(_Quiet, directory=str(site))
    with ThreadingHTTPServer((host, port), handler) as server:
        started(f"http://{host}:{server.server_port}/")
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how it is meant to stop
            server.serve_forever()
