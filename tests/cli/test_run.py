"""`opslake run` end to end on a small generated data set, with OPSLAKE_LAKE_ROOT pointing outside the home:
every record lands once, the warehouse holds no raw email, a second run does nothing, readers reading all along
through the full build and an incremental one never fail and always see one build, and run, erase and retention all
write the lake under the lake root, nothing under the home."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow.compute as pc
from typer.testing import CliRunner

from cli.app import app
from demo import generate
from opslake import lake
from opslake.publication import current
from opslake.settings import Settings
from opslake.tables import (
    DOMAINS,
    ERASURE_LOG,
    INGEST_LOG,
    LINEAGE_EDGES,
    PRIVILEGED_OPERATIONS,
    QUALITY_RESULTS,
)
from orchestration.definitions import build_definitions
from tests.fixtures.records import audit, write_jsonl

READER = """
import json, sys, time
from pathlib import Path
from opslake.publication import NotPublished, open_current
from opslake.settings import Settings
settings, out, stop = Settings.at(sys.argv[1]), open(sys.argv[2], "w"), Path(sys.argv[3])
read = False
while not stop.exists():
    try:
        with open_current(settings) as con:
            build, tables = con.execute("select build_id, tables from opslake.publication").fetchall()[0]
            rows = con.execute("select count(*) from cost_daily").fetchall()[0][0]
        out.write(json.dumps({"build": build, "recorded": json.loads(tables)["cost_daily"], "read": rows}) + "\\n")
        read = True
    except NotPublished as e:  # before the first build is published there is nothing to read yet
        out.write(json.dumps({"error": str(e)} if read else {"waiting": True}) + "\\n")
    except Exception as e:
        out.write(json.dumps({"error": f"{type(e).__name__}: {e}"}) + "\\n")
    out.flush()
    time.sleep(0.1)
"""

NOOP_PROBE = """
import atexit, sys
atexit.register(lambda: print("dagster loaded:", "dagster" in sys.modules))
sys.argv = ["opslake", "run"]
from cli.app import main
main()
"""


def _start_readers(settings: Settings, folder: Path, n: int) -> list[subprocess.Popen]:
    """``n`` processes reading the publication every 100 ms until ``folder/stop`` exists."""
    folder.mkdir()
    command = [sys.executable, "-c", READER, str(settings.home)]
    return [subprocess.Popen([*command, str(folder / f"{i}.jsonl"), str(folder / "stop")]) for i in range(n)]


def _stop_readers(readers: list[subprocess.Popen], folder: Path) -> list[dict]:
    (folder / "stop").touch()
    for reader in readers:
        assert reader.wait(timeout=60) == 0
    return [
        json.loads(line) for path in sorted(folder.glob("*.jsonl")) for line in path.read_text().splitlines()
    ]


def _landing_line_counts(landing: Path) -> dict[str, int]:
    counts = {}
    for domain in DOMAINS:
        files = sorted((landing / domain).glob("*"))
        if domain == "cost":
            counts[domain] = sum(len(f.read_text().splitlines()) - 1 for f in files)
        else:
            counts[domain] = sum(len(f.read_bytes().splitlines()) for f in files)
    return counts


def _building(output: str) -> int:
    """How many assets below bronze a run said it built."""
    return int(re.search(r"transforms: building (\d+) downstream assets", output)[1])


def test_run_erase_and_retention_on_a_lake_outside_the_home(settings, tmp_path):
    env = {"OPSLAKE_HOME": str(settings.home), "OPSLAKE_LAKE_ROOT": str(tmp_path / "elsewhere" / "lake")}
    moved = Settings.from_env(env)  # what the entry points build from this environment
    generate(settings.landing, days=5, tenants=2, events=3000, seed=3, end=dt.date.today())
    expected = _landing_line_counts(settings.landing)
    landed = sorted(p.name for p in settings.landing.rglob("*") if p.is_file())
    runner = CliRunner()
    readers = _start_readers(
        settings, tmp_path / "readers", 3
    )  # reading all along, from before the first build

    ran = runner.invoke(app, ["run"], env=env)
    assert ran.exit_code == 0, ran.output
    for domain, lines in expected.items():
        assert lake.row_count(moved.table_uri("bronze", domain)) == lines, domain  # each line accepted once
    assert [p for d in DOMAINS for p in (settings.landing / d).glob("*")] == []  # ingested files are archived
    assert sorted(p.name.split("-", 1)[1] for p in settings.archive.rglob("*") if p.is_file()) == landed
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        audited = con.execute(
            "select count(*), count_if(actor_email like '%@%') from staging.stg_silver__audit_events"
        )
        assert audited.fetchone() == (expected["audit"], 0)  # every event, pseudonyms instead of addresses
        tenants = con.execute(
            "select count(distinct tenant_id) from staging.stg_silver__usage_events"
        ).fetchone()
        assert tenants == (2,)

    before = settings.warehouse.stat().st_mtime_ns
    again = runner.invoke(app, ["run"], env=env)
    assert again.exit_code == 0 and "nothing new" in again.output
    assert settings.warehouse.stat().st_mtime_ns == before  # nothing ran, nothing changed
    loaded = subprocess.run(  # in a process of its own: it answers before it loads Dagster
        [sys.executable, "-c", NOOP_PROBE], env={**os.environ, **env}, capture_output=True, text=True
    )
    assert "nothing new" in loaded.stderr, loaded.stderr  # what the command says goes to standard error
    assert loaded.stdout == "dagster loaded: False\n"
    log = lake.read_table(moved.table_uri("bronze", INGEST_LOG))
    assert sum(log["accepted"].to_pylist()) == sum(expected.values())

    first = current(settings).build_id
    late = [audit(i, event_id=f"late-{i}", occurred_at=f"{dt.date.today()}T00:0{i}:00Z") for i in range(3)]
    write_jsonl(settings.landing_dir("audit") / "late.jsonl", late)
    incremental = runner.invoke(app, ["run"], env=env)  # a new file: an incremental build
    assert incremental.exit_code == 0, incremental.output
    assert 0 < _building(incremental.output) < _building(ran.output)  # what audit events feed, not the rest
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        added = con.execute(
            "select count(*) from staging.stg_silver__audit_events where event_id like 'late-%'"
        )
        assert added.fetchone() == (3,)
    instance = dg.DagsterInstance.from_config(str(settings.dagster_home))
    built = {  # the run that last built each: cost was left as built, audit rebuilt
        name: instance.get_latest_materialization_event(dg.AssetKey(["staging", name])).run_id
        for name in ("stg_silver__cost_line_items", "stg_silver__audit_events")
    }
    assert built["stg_silver__cost_line_items"] != built["stg_silver__audit_events"]
    reads = _stop_readers(readers, tmp_path / "readers")
    assert [r for r in reads if "error" in r] == []  # not one failed read, once there was a publication
    builds = [r for r in reads if "build" in r]
    assert all(r["read"] == r["recorded"] for r in builds)  # each read saw the one build its record names
    second = current(settings).build_id
    assert second != first and {r["build"] for r in builds} == {
        first,
        second,
    }  # the full build, the incremental

    emails = lake.read_table(moved.table_uri("bronze", "audit"), ["actor_email"])["actor_email"]
    subject = pc.min(emails).as_py()
    erased = runner.invoke(app, ["erase", "--subject", subject, "--json"], env=env)
    assert erased.exit_code == 0, erased.output
    job = build_definitions(moved).resolve_job_def("retention")  # the Dagster job, as its schedule runs it
    assert job.execute_in_process().success

    assert not (settings.home / "lake").exists()
    tables = [("bronze", d) for d in DOMAINS] + [("silver", d) for d in DOMAINS] + [("gold", "cost_daily")]
    tables += [
        ("governance", t) for t in (ERASURE_LOG, PRIVILEGED_OPERATIONS, QUALITY_RESULTS, LINEAGE_EDGES)
    ]
    missing = [f"{layer}/{t}" for layer, t in tables if lake.open_table(moved.table_uri(layer, t)) is None]
    assert missing == []
    operations = lake.read_table(moved.table_uri("governance", PRIVILEGED_OPERATIONS))
    # every `opslake run` applies retention (four here, two of them with nothing new), and so does the job
    assert sorted(operations["operation"].to_pylist()) == ["erasure"] + ["retention"] * 5
    left = lake.read_table(moved.table_uri("bronze", "audit"), filter=pc.field("actor_email") == subject)
    assert left.num_rows == 0
