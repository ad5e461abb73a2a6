"""Ingestion benchmark: opslake bronze ingestion against DuckDB converting the same files to Parquet.

Both sides run in their own process on the same generated files, one after the other, so the ratio is
measured on the same machine in the same minute; each reports wall time and peak resident memory.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

DOMAINS = ("audit", "usage", "incident", "delivery", "cost")

BASELINE = """
import json, resource, sys, time, duckdb
src, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
start = time.perf_counter()
for d in ("audit", "usage", "incident", "delivery"):
    con.execute(f"copy (select * from read_json('{src}/{d}/*.jsonl', format='newline_delimited', "
                f"union_by_name=true)) to '{out}/{d}.parquet' (format parquet)")
con.execute(f"copy (select * from read_csv('{src}/cost/*.csv', nullstr='NULL', union_by_name=true)) "
            f"to '{out}/cost.parquet' (format parquet)")
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

OPSLAKE = """
import json, resource, sys, time
from pathlib import Path
from ingestion.pipeline import ingest
from opslake.settings import Settings
src, home = Path(sys.argv[1]), sys.argv[2]
settings = Settings.at(home)
start = time.perf_counter()
totals = {}
for d in ("audit", "usage", "incident", "delivery", "cost"):
    totals[d] = ingest(settings, d, sorted((src / d).iterdir())).as_dict()
seconds = time.perf_counter() - start
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": own + workers, "report": totals}))
"""


@dataclass
class Measurement:
    events: int
    input_mb: float
    baseline_seconds: float
    baseline_peak_mb: float
    opslake_seconds: float
    opslake_peak_mb: float
    accepted: int

    @property
    def ratio(self) -> float:
        return self.opslake_seconds / self.baseline_seconds

    def as_dict(self) -> dict:
        return {**asdict(self), "ratio": round(self.ratio, 2)}


def _run(script: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(events: int, workdir: Path, seed: int = 7) -> Measurement:
    """Generate ``events`` events, then time the baseline and opslake on them."""
    from demo import generate

    src = workdir / f"data-{events}"
    if not src.exists():
        generate(src, events=events, seed=seed)
    input_mb = sum(p.stat().st_size for p in src.rglob("*") if p.is_file()) / 2**20
    out = workdir / "baseline"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    baseline = _run(BASELINE, str(src), str(out))
    home = workdir / "home"
    shutil.rmtree(home, ignore_errors=True)
    ours = _run(OPSLAKE, str(src), str(home))
    accepted = sum(r["accepted"] for r in ours["report"].values())
    read = sum(r["read"] for r in ours["report"].values())
    return Measurement(
        events=read,
        input_mb=round(input_mb, 1),
        baseline_seconds=round(baseline["seconds"], 2),
        baseline_peak_mb=round(baseline["peak_mb"]),
        opslake_seconds=round(ours["seconds"], 2),
        opslake_peak_mb=round(ours["peak_mb"]),
        accepted=accepted,
    )


def run_benchmark(sizes: list[int], workdir: Path | None = None, echo=print) -> list[Measurement]:
    """Measure each size and print events/s and the ratio to the DuckDB baseline."""
    keep = workdir is not None
    workdir = workdir or Path(tempfile.mkdtemp(prefix="opslake-bench-"))
    results = []
    try:
        for events in sizes:
            started = time.perf_counter()
            m = measure(events, workdir)
            results.append(m)
            echo(
                f"{m.events:>11,} events ({m.input_mb:,.0f} MB): "
                f"duckdb->parquet {m.baseline_seconds:.1f}s ({m.events / m.baseline_seconds:,.0f} ev/s, "
                f"{m.baseline_peak_mb:,} MB peak) | opslake ingest {m.opslake_seconds:.1f}s "
                f"({m.events / m.opslake_seconds:,.0f} ev/s, {m.opslake_peak_mb:,} MB peak) | "
                f"ratio {m.ratio:.2f}x  [{time.perf_counter() - started:.0f}s incl. generation]"
            )
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return results
