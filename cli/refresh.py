"""Micro-batches: ``opslake run --every N`` builds what lands into the marts and the publication every N seconds
in one long-lived process, and the webhook receiver's ``--refresh N`` runs it as its child.

One process for every round keeps Dagster, dbt's project, Great Expectations and Presidio loaded: a new process
per round paid about 20 s of imports and model loading before it built anything. The child keeps that work out
of the receiver (its answers stay fast, and a failed build cannot stop it). A round starts when files wait in
landing and no other writer holds the lake; one that finds the lake busy leaves the files for the next round
(or for whoever holds the lake: every run ingests what waits). A failed round is logged and the next one tries
again. Ctrl-C (or the receiver's stop) interrupts a round as it interrupts ``opslake run``: what it committed
stays, the rest is redone. Code and policy files are read as the process started them: restart it after an
upgrade (a changed dbt project is parsed again on its own).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from ingestion.contracts import DOMAINS
from ingestion.landing import pending_files
from opslake import lake
from opslake.settings import Settings

log = logging.getLogger("opslake.refresh")
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"  # the receiver's, so that its log reads as one
INTERRUPTED = "DagsterExecutionInterruptedError"


def watch(settings: Settings, every: float, wait: float) -> None:
    """Every ``every`` seconds, build and publish what waits in landing; return on Ctrl-C."""
    handler = logging.StreamHandler()  # this loop's lines only: not those of the libraries it loads
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        _warm_up()
        log.info("building what lands every %g s", every)
        while True:
            time.sleep(every)
            if waiting := sum(len(pending_files(settings, d)) for d in DOMAINS):
                _round(settings, waiting, wait)
                # A Dagster run can leave its own SIGINT handler in place: Ctrl-C must stop the loop again.
                signal.signal(signal.SIGINT, signal.default_int_handler)
    except KeyboardInterrupt:
        log.info("refresh loop stopped")


def _warm_up() -> None:
    """Load what every round uses before the first delivery waits for it."""
    import great_expectations  # noqa: F401  (5 s of imports)

    import orchestration.materialize  # noqa: F401  (Dagster, dagster-dbt)
    from privacy.presidio import load

    load()


def _round(settings: Settings, waiting: int, wait: float) -> None:
    from orchestration.materialize import materialize_all, step_errors

    started = time.perf_counter()
    try:
        # Dagster's console logger prints a failed step's traceback; the failure is logged below in a line.
        with lake.lake_writer(settings, "refresh", wait), contextlib.redirect_stderr(io.StringIO()):
            results = materialize_all(settings)
    except lake.LakeBusy as busy:
        log.info("the lake is busy (%s); %d landing file(s) wait for the next round", busy.holder, waiting)
        return
    except KeyboardInterrupt:
        log.info("a refresh was interrupted after %.1f s", time.perf_counter() - started)
        raise
    except Exception as e:  # a failed round must not end the loop: the next one tries again
        log.warning(
            "a refresh failed after %.1f s: %s: %s", time.perf_counter() - started, type(e).__name__, e
        )
        return
    seconds = time.perf_counter() - started
    errors = step_errors(results)
    if any(error.cls_name == INTERRUPTED for _, error in errors):  # Dagster turned Ctrl-C into a failed step
        log.info("a refresh was interrupted after %.1f s", seconds)
        raise KeyboardInterrupt
    failures = [f"{step}: {error.message.strip()}" for step, error in errors]
    if failures or not all(r.success for r in results):
        log.warning("a refresh failed after %.1f s: %s", seconds, " | ".join(failures) or "see `opslake dev`")
    else:
        log.info("refreshed: %d landing file(s) built and published in %.1f s", waiting, seconds)


class Refresher:
    """The receiver's child ``opslake run --every``, started again if it dies, until ``stop``."""

    def __init__(self, settings: Settings, every: float) -> None:
        self.settings, self.every = settings, every
        self.stopping = threading.Event()
        self.child: subprocess.Popen | None = None
        self.thread = threading.Thread(target=self._keep_running, name="refresh", daemon=True)
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

    def _keep_running(self) -> None:
        command = [sys.executable, "-m", "cli", "run", "--every", f"{self.every:g}", "--wait", "0"]
        while not self.stopping.is_set():
            # Its log lines go to the receiver's standard error, as its own do.
            self.child = subprocess.Popen(
                command, env={**os.environ, **self.settings.env()}, stdout=subprocess.DEVNULL
            )
            if self.stopping.is_set():  # stopped while it was starting
                self.child.send_signal(signal.SIGINT)
            status = self.child.wait()
            if not self.stopping.is_set():
                log.warning("the refresh loop ended (exit %d); starting it again in %g s", status, self.every)
                self.stopping.wait(self.every)
