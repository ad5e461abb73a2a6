"""The receiver's micro-batch loop: while it runs, closed landing segments are built into the marts and the
publication by ``opslake run`` in a child process, so a delivery reaches the dashboards without a scheduler.

A child process keeps Dagster and dbt out of the receiver (its answers stay fast, and a failed build cannot stop
it). A round starts when files wait in landing and no other writer holds the lake; one that finds the lake busy
leaves the files for the next round (or for whoever holds the lake: every run ingests what waits).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

from cli.errors import BUSY
from ingestion.contracts import DOMAINS
from ingestion.landing import pending_files
from opslake.settings import Settings

log = logging.getLogger("opslake.refresh")


def start(settings: Settings, every: float) -> threading.Event:
    """Start the loop in a daemon thread; set the returned event to stop it after the current round."""
    stop = threading.Event()
    threading.Thread(target=_loop, args=(settings, every, stop), name="refresh", daemon=True).start()
    return stop


def _loop(settings: Settings, every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        waiting = sum(len(pending_files(settings, d)) for d in DOMAINS)
        if waiting:
            _round(settings, waiting)


def _round(settings: Settings, waiting: int) -> None:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cli", "run", "--wait", "0"],
        env={**os.environ, **settings.env()},
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode == 0:
        log.info("refreshed: %d landing file(s) built and published in %.1f s", waiting, seconds)
    elif done.returncode == BUSY:
        log.info("the lake is busy; %d landing file(s) wait for the next round", waiting)
    else:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:])
        log.warning("a refresh failed after %.1f s (exit %d): %s", seconds, done.returncode, tail)
