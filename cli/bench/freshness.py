"""Freshness: from a webhook's acknowledgement to the published marts (what the dashboards and SQL read) showing
it, with the receiver and its micro-batch loop running on a built home.

Once the loop is ready (it loads Dagster, Great Expectations and Presidio first), signed PagerDuty deliveries of
new incidents are sent one after another; each one's clock starts at its 202 and stops when the current
publication's ``marts.incidents`` holds the incident, and the slowest counts. The baseline, measured first in the
same run, is ``opslake run`` with nothing new in a fresh process. The deliveries stay in the home afterwards:
measure on a demo home.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass

from cli.bench.servers import free_port, pagerduty_signer, start, stop
from demo.native.pagerduty import to_pagerduty
from opslake import publication
from opslake.settings import Settings

_REFRESHED = re.compile(r"refreshed: .* in ([0-9.]+) s")
_READY = re.compile(r"building what lands every")


@dataclass
class Freshness:
    date: str
    published_rows: int
    noop_run_seconds: float
    segment_seconds: float
    refresh_seconds: float
    warm_up_seconds: float
    acknowledged_ms: float
    acknowledged_to_published_seconds: float  # the slowest probe
    probes_seconds: list[float]
    refresh_runs_seconds: list[float]

    @property
    def ratio(self) -> float:
        return self.acknowledged_to_published_seconds / self.noop_run_seconds

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio_to_noop_run": round(self.ratio, 2)}


def measure(
    settings: Settings,
    refresh: float = 5,
    segment_seconds: float = 1,
    probes: int = 3,
    timeout: float = 900,
    echo=print,
) -> Freshness:
    run = [sys.executable, "-m", "cli", "run"]
    echo("settling: `opslake run` builds what is pending (a changed dbt project, waiting files)")
    subprocess.run(run, env={**os.environ, **settings.env()}, check=True, capture_output=True)
    rows = sum(publication.current(settings).tables.values())
    started = time.perf_counter()
    subprocess.run(run, env={**os.environ, **settings.env()}, check=True, capture_output=True)
    noop = time.perf_counter() - started
    echo(f"baseline: `opslake run` with nothing new took {noop:.1f} s")
    port = free_port()
    command = [sys.executable, "-m", "cli", "serve", "webhooks", "--port", str(port)]
    command += ["--segment-seconds", str(segment_seconds), "--refresh", str(refresh)]
    launched = time.perf_counter()
    receiver = start(command, port, settings.env())
    log: list[bytes] = []
    threading.Thread(target=lambda: log.extend(iter(receiver.stderr.readline, b"")), daemon=True).start()
    try:
        _wait_for(lambda: _logged(log, _READY), timeout, "the refresh loop did not start")
        warm_up = time.perf_counter() - launched
        echo(f"the receiver and its refresh loop were ready {warm_up:.1f} s after the start")
        acknowledged_ms, published = [], []
        for _ in range(probes):
            incident = f"INC-FRESH-{uuid.uuid4().hex[:8].upper()}"
            body, signature = _delivery(settings, incident)
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/webhooks/pagerduty",
                data=body,
                headers={"Content-Type": "application/json", "X-PagerDuty-Signature": signature},
            )
            sent = time.perf_counter()
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 202, answer.status
            acknowledged = time.perf_counter()
            _wait_for(functools.partial(_published, settings, incident), timeout, f"{incident} not published")
            acknowledged_ms.append(round((acknowledged - sent) * 1000, 1))
            published.append(round(time.perf_counter() - acknowledged, 1))
            echo(
                f"incident {incident}: acknowledged in {acknowledged_ms[-1]:.0f} ms, published {published[-1]} s later"
            )
            finished = functools.partial(lambda rounds: _logged(log, _REFRESHED) >= rounds, len(published))
            _wait_for(finished, 120, "the round that published it did not finish")
    finally:
        stop(receiver)
    return Freshness(
        date=dt.date.today().isoformat(),
        published_rows=rows,
        noop_run_seconds=round(noop, 1),
        segment_seconds=segment_seconds,
        refresh_seconds=refresh,
        warm_up_seconds=round(warm_up, 1),
        acknowledged_ms=max(acknowledged_ms),
        acknowledged_to_published_seconds=max(published),
        probes_seconds=published,
        refresh_runs_seconds=[float(m[1]) for line in log if (m := _REFRESHED.search(line.decode()))],
    )


def _logged(log: list[bytes], pattern: re.Pattern) -> int:
    """How many lines of the receiver's log match."""
    return sum(bool(pattern.search(line.decode())) for line in list(log))


def _wait_for(condition, timeout: float, failure: str) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{failure} after {timeout:g} s")
        time.sleep(0.2)


def _delivery(settings: Settings, incident: str) -> tuple[bytes, str]:
    """A signed PagerDuty delivery triggering ``incident`` now, for a tenant the publication knows."""
    with publication.open_current(settings) as con:
        (tenant,) = con.execute("select min(tenant_id) from marts.incidents").fetchone()
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    record = {
        "event_id": incident,
        "occurred_at": now,
        "tenant_id": tenant,
        "incident_id": incident,
        "status": "triggered",
        "severity": "sev2",
        "service": "api-gateway",
        "title": "Freshness probe",
    }
    body = json.dumps(to_pagerduty(record, str)["payload"]).encode()
    return body, pagerduty_signer(settings)(body)


def _published(settings: Settings, incident: str) -> bool:
    try:
        with publication.open_current(settings) as con:
            return bool(
                con.execute(
                    "select count(*) from marts.incidents where incident_id = ?", [incident]
                ).fetchone()[0]
            )
    except publication.NotPublished:
        return False
