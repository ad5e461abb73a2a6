"""The receiver's micro-batch loop: while it runs, closed landing segments are built into the marts and the
publication by ``opslake run`` in a child process, so a delivery reaches the dashboards without a scheduler.

A child process keeps Dagster and dbt out of the receiver (its answers stay fast, and a failed build cannot stop
it). A round starts when files wait in landing and no other writer holds the lake; one that finds the lake busy
leaves the files for the next round (or for whoever holds the lake: every run ingests what waits). Stopping the
receiver interrupts a round as Ctrl-C interrupts ``opslake run``: what it committed stays, the rest is redone.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

from cli.errors import BUSY
from ingestion.contracts import DOMAINS
from ingestion.landing import pending_files
from opslake.settings import Settings

log = logging.getLogger("opslake.refresh")


class Refresher:
    """Runs a round every ``every`` seconds in a daemon thread until ``stop``."""

    def __init__(self, settings: Settings, every: float) -> None:
        self.settings, self.every = settings, every
        self.stopping = threading.Event()
        self.child: subprocess.Popen | None = None
        self.thread = threading.Thread(target=self._loop, name="refresh", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        child = self.child
        if child and child.poll() is None:
            child.send_signal(signal.SIGINT)
            try:
                child.wait(60)
            except subprocess.TimeoutExpired:
                child.kill()
        self.thread.join(5)

    def _loop(self) -> None:
        while not self.stopping.wait(self.every):
            waiting = sum(len(pending_files(self.settings, d)) for d in DOMAINS)
            if waiting:
                self._round(waiting)

    def _round(self, waiting: int) -> None:
        started = time.perf_counter()
        self.child = subprocess.Popen(
            [sys.executable, "-m", "cli", "run", "--wait", "0"],
            env={**os.environ, **self.settings.env()},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        _, errors = self.child.communicate()
        seconds, status = time.perf_counter() - started, self.child.returncode
        if self.stopping.is_set():
            log.info("a refresh was interrupted by the receiver's stop after %.1f s", seconds)
        elif status == 0:
            log.info("refreshed: %d landing file(s) built and published in %.1f s", waiting, seconds)
        elif status == BUSY:
            log.info("the lake is busy; %d landing file(s) wait for the next round", waiting)
        else:
            tail = " | ".join(errors.strip().splitlines()[-3:])
            log.warning("a refresh failed after %.1f s (exit %d): %s", seconds, status, tail)
