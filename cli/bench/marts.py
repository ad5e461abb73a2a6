"""Marts benchmark: building one new day incrementally against a full rebuild of the same data.

The data set is generated once for ``days + 1`` days. The first ``days`` days go through the whole pipeline;
the last day's files then land, are ingested and masked, and the warehouse build is timed twice from the same
state: incremental (the silver copies gain the new rows, ``dbt run`` builds incremental models for the new
day only) and full (the silver copies are loaded whole, ``dbt run --full-refresh`` rebuilds every model). Each is measured ``repeat`` times from a copy of the same warehouse file,
and the fastest time is kept, so both sides see the same data on the same machine in the same minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ingestion.contracts import DOMAINS
from opslake import dbt_project
from opslake.settings import Settings
from opslake.warehouse import forget_loads, load_sources


@dataclass
class MartsMeasurement:
    days: int
    events: int
    new_day_rows: int
    full_refresh_seconds: float
    incremental_seconds: float
    incremental_models: dict[str, dict[str, float]]  # model -> {"full": s, "incremental": s}

    @property
    def speedup(self) -> float:
        return self.full_refresh_seconds / self.incremental_seconds

    def as_dict(self) -> dict:
        return {**asdict(self), "speedup": round(self.speedup, 2)}


def _build(settings: Settings, target: Path, full: bool) -> tuple[float, dict[str, float], dict[str, str]]:
    """Load silver and run dbt; return wall seconds, per-model execution seconds and materializations."""
    started = time.perf_counter()
    if full:
        forget_loads(settings)  # every copy is reloaded whole
    load_sources(settings)
    dbt_project.run(settings, ["run", "--full-refresh"] if full else ["run"], target)
    seconds = time.perf_counter() - started
    results = json.loads((target / "run_results.json").read_text())["results"]
    manifest = json.loads((target / "manifest.json").read_text())["nodes"]
    timing = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results}
    kinds = {
        n["name"]: n["config"]["materialized"] for n in manifest.values() if n["resource_type"] == "model"
    }
    return seconds, timing, kinds


def _land(files: list[Path], src: Path, landing: Path) -> None:
    for f in files:
        dest = landing / f.relative_to(src)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, dest)


def _ingest_and_mask(settings: Settings) -> int:
    """Bronze and silver for the files waiting in landing; return the rows added to silver."""
    from ingestion.landing import ingest_landing
    from privacy.presidio import column_detector, text_masker
    from privacy.silver import build_silver

    added = 0
    for domain in DOMAINS:
        ingest_landing(settings, domain)
        added += build_silver(settings, domain, column_detector(), text_masker()).rows
    return added


def measure(
    workdir: Path, days: int = 90, events: int = 500_000, repeat: int = 2, echo=print
) -> MartsMeasurement:
    from demo import generate
    from orchestration.materialize import materialize_all

    end = dt.datetime.now(dt.UTC).date()
    src, settings = workdir / "data", Settings.at(workdir / "home")
    shutil.rmtree(workdir, ignore_errors=True)
    echo(f"generating {days + 1} days of about {events:,} events")
    generate(src, days=days + 1, events=events, end=end)
    files = sorted(p for p in src.rglob("*") if p.is_file())
    new_day = [p for p in files if end.isoformat() in p.name]
    echo(f"building the first {days} days through the whole pipeline")
    _land([p for p in files if p not in new_day], src, settings.landing)
    if not all(r.success for r in materialize_all(settings)):
        raise RuntimeError(f"the pipeline failed on the first {days} days; see `make dev` with OPSLAKE_HOME")
    echo(f"landing, ingesting and masking {end}")
    _land(new_day, src, settings.landing)
    new_rows = _ingest_and_mask(settings)
    before = workdir / "warehouse-before.duckdb"
    shutil.copy2(settings.warehouse, before)
    runs: dict[str, list[tuple[float, dict[str, float]]]] = {"incremental": [], "full": []}
    kinds: dict[str, str] = {}
    for i in range(repeat):
        for mode in ("incremental", "full"):
            shutil.copy2(before, settings.warehouse)
            seconds, timing, kinds = _build(settings, workdir / "target", full=mode == "full")
            runs[mode].append((seconds, timing))
            echo(f"  {mode:<11} run {i + 1}: {seconds:.1f}s")
    best = {mode: min(r, key=lambda r: r[0]) for mode, r in runs.items()}
    incremental = sorted(m for m, k in kinds.items() if k == "incremental")
    return MartsMeasurement(
        days=days,
        events=events,
        new_day_rows=new_rows,
        full_refresh_seconds=round(best["full"][0], 2),
        incremental_seconds=round(best["incremental"][0], 2),
        incremental_models={
            m: {mode: round(best[mode][1].get(m, 0.0), 3) for mode in ("full", "incremental")}
            for m in incremental
        },
    )
