"""Webhook receiver benchmark: wrk on loopback against ``opslake serve webhooks``, killed (SIGKILL) and restarted
mid-run, then every acknowledged delivery looked for in bronze.

The baseline is the same ASGI server and framework answering 202 without verifying, storing or syncing anything,
loaded by the same wrk in the same run: the ratio says what signature checks and durable landing cost. Each
request is a distinct signed PagerDuty delivery until wrk has used its list (each failed write while the receiver is down
takes the next one), then the list again: repeats are retries, acknowledged again and stored once. A delivery
found twice in bronze, or an acknowledged one not found, is a fault. wrk's Lua script records the id in each 202 body (the receiver
answers with the delivery id), which is the list of acknowledged deliveries.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

from cli.bench.servers import free_port, pagerduty_signer, start, stop

WRK_SCRIPT = r"""
local lines, nthreads, step, out = {}, 1, 0, nil  -- tid: a global each thread is given in setup
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  nthreads = tonumber(args[2])
  local n = 0
  for line in io.lines(args[1]) do
    n = n + 1
    if (n - 1) % nthreads == tid then
      local sig, id, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      table.insert(lines, wrk.format("POST", "/webhooks/pagerduty", {
        ["Content-Type"] = "application/json", ["X-PagerDuty-Signature"] = sig, ["X-Webhook-Id"] = id}, body))
    end
  end
  out = io.open(args[3] .. "." .. tid, "w")
end
function request()
  step = step + 1
  if step > #lines then step = 1 end
  return lines[step]
end
function response(status, headers, body)
  if status == 202 then out:write(body, "\n") end
end
function done(summary, latency, requests)
  local f = io.open(os.getenv("WRK_RESULT"), "w")
  f:write(string.format('{"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "max_ms": %f, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "status_errors": %d, "timeouts": %d}',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  f:close()
end
"""

FLOOR = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route
async def receive(request):
    await request.body()
    return JSONResponse({"accepted": request.headers.get("x-webhook-id")}, status_code=202)
app = Starlette(routes=[Route("/webhooks/{source}", receive, methods=["POST"])])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
            loop="uvloop", http="httptools")
"""


class WrkMissing(RuntimeError):
    """wrk, the load tool, is not installed."""


@dataclass
class Run:
    """One wrk run: what it sent and how the receiver answered."""

    requests: int
    seconds: float
    acknowledged: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.acknowledged / self.seconds


@dataclass
class Measurement:
    connections: int
    seconds: float
    floor: Run
    receiver: Run
    killed_after_seconds: float
    restart_seconds: float
    distinct_acknowledged: int  # wrk re-sends from the start of its list when its requests outrun it
    in_bronze: int
    acknowledged_missing: int
    duplicated_in_bronze: int

    @property
    def ratio(self) -> float:
        return self.floor.per_second / self.receiver.per_second

    def as_dict(self) -> dict:
        return {
            "date": dt.date.today().isoformat(),
            "machine": f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, {sys.platform}",
            **asdict(self),
            "floor": {**asdict(self.floor), "per_second": round(self.floor.per_second)},
            "receiver": {**asdict(self.receiver), "per_second": round(self.receiver.per_second)},
            "throughput_ratio_floor_to_receiver": round(self.ratio, 2),
        }


def measure(workdir: Path, seconds: float, connections: int, kill_after: float, echo=print) -> Measurement:
    """Load the floor, then the receiver (killed at ``kill_after`` s and restarted), then ingest and check."""
    from ingestion.landing import ingest_landing
    from opslake.settings import Settings

    wrk = shutil.which("wrk")
    if wrk is None:
        raise WrkMissing("wrk is not installed")
    settings = Settings.at(workdir / "home")
    deliveries = workdir / "deliveries.tsv"
    count = int(seconds * 4000)  # more than the receiver can take: every request a new delivery

    port = free_port()
    floor_process = start([sys.executable, "-c", FLOOR, str(port)], port, {})
    try:
        _write_deliveries(deliveries, count, pagerduty_signer(None))
        echo(f"floor (uvicorn + Starlette answering 202): {seconds:g} s, {connections} connections")
        floor = _wrk(wrk, port, deliveries, workdir / "floor", seconds, connections)
    finally:
        stop(floor_process)

    port = free_port()
    command = [
        sys.executable,
        "-m",
        "cli",
        "serve",
        "webhooks",
        "--port",
        str(port),
        "--segment-seconds",
        "2",
    ]
    env = settings.env()
    holder = {"process": start(command, port, env)}
    try:
        _write_deliveries(deliveries, count, pagerduty_signer(settings))
        restart: dict[str, float] = {}

        def kill_and_restart() -> None:
            time.sleep(kill_after)
            holder["process"].kill()  # SIGKILL: no chance to close a segment or answer in-flight requests
            holder["process"].wait()
            started = time.perf_counter()
            holder["process"] = start(command, port, env)
            restart["seconds"] = time.perf_counter() - started

        killer = threading.Thread(target=kill_and_restart)
        echo(
            f"receiver: {seconds:g} s, {connections} connections, SIGKILL and restart after {kill_after:g} s"
        )
        killer.start()
        receiver = _wrk(wrk, port, deliveries, workdir / "receiver", seconds, connections)
        killer.join()
    finally:
        stop(holder["process"])
    acknowledged = _acknowledged(workdir / "receiver")
    echo(f"ingesting {len(acknowledged):,} acknowledged deliveries")
    ingest_landing(settings, "incident")
    in_bronze = _bronze_ids(settings)
    wanted = {f"pagerduty:{d}" for d in acknowledged}
    return Measurement(
        connections=connections,
        seconds=seconds,
        floor=floor,
        receiver=receiver,
        killed_after_seconds=kill_after,
        restart_seconds=round(restart.get("seconds", float("nan")), 2),
        distinct_acknowledged=len(wanted),
        in_bronze=len(set(in_bronze)),
        acknowledged_missing=len(wanted - set(in_bronze)),
        duplicated_in_bronze=len(in_bronze) - len(set(in_bronze)),
    )


def _write_deliveries(path: Path, count: int, signer: Callable[[bytes], str]) -> None:
    """``count`` distinct signed PagerDuty deliveries, one per line: signature, delivery id, body."""
    from demo.native.pagerduty import to_pagerduty

    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with path.open("w") as out:
        for i in range(count):
            record = {
                "event_id": f"bench-{i}",
                "occurred_at": (start + dt.timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
                "tenant_id": f"t-{i % 12:02d}",
                "incident_id": f"INC-BENCH-{i // 3:07d}",
                "status": ("triggered", "acknowledged", "resolved")[i % 3],
                "severity": ("sev1", "sev2", "sev3", "sev4")[i % 4],
                "service": "api-gateway",
                "title": "Error rate above SLO",
                "responder_id": f"u-{i % 50:04d}" if i % 3 else None,
            }
            wrapper = to_pagerduty(record, str)
            body = json.dumps(wrapper["payload"], separators=(",", ":"))
            out.write(f"{signer(body.encode())}\t{wrapper['delivery']}\t{body}\n")


def _wrk(wrk: str, port: int, deliveries: Path, prefix: Path, seconds: float, connections: int) -> Run:
    script, result = prefix.with_suffix(".lua"), prefix.with_suffix(".json")
    script.write_text(WRK_SCRIPT)
    threads = 2
    subprocess.run(
        [
            wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
            "--",
            str(deliveries),
            str(threads),
            str(prefix),
        ],
        env={**os.environ, "WRK_RESULT": str(result)},
        check=True,
        capture_output=True,
    )
    figures = json.loads(result.read_text())
    errors = sum(
        figures[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return Run(
        requests=figures["requests"],
        seconds=round(figures["seconds"], 2),
        acknowledged=len(_acknowledged(prefix)),
        p50_ms=round(figures["p50_ms"], 1),
        p99_ms=round(figures["p99_ms"], 1),
        max_ms=round(figures["max_ms"], 1),
        errors=errors,
    )


def _acknowledged(prefix: Path) -> list[str]:
    """The delivery ids wrk saw answered 202 (its threads' files)."""
    ids = []
    for path in sorted(prefix.parent.glob(f"{prefix.name}.[0-9]*")):
        ids += [json.loads(line)["accepted"] for line in path.read_text().splitlines() if line]
    return ids


def _bronze_ids(settings) -> list[str]:
    from deltalake import DeltaTable

    table = DeltaTable(settings.table_uri("bronze", "incident")).to_pyarrow_table(columns=["event_id"])
    return table.column("event_id").to_pylist()


def run_benchmark(seconds: float, connections: int, kill_after: float, echo=print) -> Measurement:
    workdir = Path(tempfile.mkdtemp(prefix="opslake-bench-webhooks-"))
    try:
        return measure(workdir, seconds, connections, kill_after, echo)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
