"""Freshness: from a webhook's acknowledgement to the published marts (what the dashboards and SQL read) showing
it, with the receiver and its micro-batch loop running on a built home.

One signed PagerDuty delivery of a new incident is sent; the clock starts at its 202 and stops when the current
publication's ``marts.incidents`` holds the incident. The baseline, measured first in the same run, is
``opslake run`` with nothing new (the fixed cost every refresh pays). The delivery stays in the home afterwards:
measure on a demo home.
"""

from __future__ import annotations

import datetime as dt
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


@dataclass
class Freshness:
    date: str
    published_rows: int
    noop_run_seconds: float
    segment_seconds: float
    refresh_seconds: float
    acknowledged_ms: float
    acknowledged_to_published_seconds: float
    refresh_runs_seconds: list[float]

    @property
    def ratio(self) -> float:
        return self.acknowledged_to_published_seconds / self.noop_run_seconds

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio_to_noop_run": round(self.ratio, 2)}


def measure(
    settings: Settings, refresh: float = 5, segment_seconds: float = 1, timeout: float = 900, echo=print
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
    receiver = start(command, port, settings.env())
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(iter(receiver.stderr.readline, b"")), daemon=True).start()
    try:
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
        echo(
            f"incident {incident} acknowledged in {(acknowledged - sent) * 1000:.0f} ms; waiting for the marts"
        )
        while not _published(settings, incident):
            if time.perf_counter() - acknowledged > timeout:
                raise TimeoutError(f"{incident} not published after {timeout:g} s")
            time.sleep(0.5)
        visible = time.perf_counter()
        while (
            not any(_REFRESHED.search(line.decode()) for line in log) and time.perf_counter() - visible < 120
        ):
            time.sleep(0.5)  # the round that published it is still finishing (its summary)
    finally:
        stop(receiver)
    return Freshness(
        date=dt.date.today().isoformat(),
        published_rows=rows,
        noop_run_seconds=round(noop, 1),
        segment_seconds=segment_seconds,
        refresh_seconds=refresh,
        acknowledged_ms=round((acknowledged - sent) * 1000, 1),
        acknowledged_to_published_seconds=round(visible - acknowledged, 1),
        refresh_runs_seconds=[float(m[1]) for line in log if (m := _REFRESHED.search(line.decode()))],
    )


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
