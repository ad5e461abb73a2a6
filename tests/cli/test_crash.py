"""`kill -9` in every stage of `opslake run`, one after the other, and the lake still converges.

The killed home gets the very files of the session's clean build (and its pseudonym key); it is killed while
ingesting, masking into silver, building the marts with dbt, copying them to gold and writing the lineage,
each run resuming from what the one before left. The last run must end with marts equal, row for row and bit
for bit, to the clean build's.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from opslake.settings import Settings
from tests.conftest import END

# What `opslake run` does after seeding, dated as the clean build is, so that retention keeps the same days.
RUN = """
import datetime as dt, sys
from orchestration.materialize import materialize_all
from opslake.settings import Settings
results = materialize_all(Settings.from_env(), today=dt.date.fromisoformat(sys.argv[1]))
sys.exit(0 if all(r.success for r in results) else 1)
"""


def _any_log(root: Path) -> bool:
    return any((p / "_delta_log").is_dir() for p in root.iterdir()) if root.is_dir() else False


def _stages(settings: Settings) -> dict[str, Callable[[float], bool]]:
    """Each stage of a run, and what shows on disk once it has started writing (given the run's start)."""
    lake = Path(settings.lake_root)
    dbt_log = settings.home / "dbt" / "build" / "dbt.log"
    return {
        "ingest": lambda _: _any_log(lake / "bronze"),
        "silver": lambda _: _any_log(lake / "silver"),
        "dbt": lambda start: (
            dbt_log.exists()
            and dbt_log.stat().st_mtime > start
            and Path(f"{settings.warehouse}.wal").exists()
        ),
        "gold": lambda _: _any_log(lake / "gold"),
        "lineage": lambda _: (lake / "governance" / "lineage_edges" / "_delta_log").is_dir(),
    }


def _run(settings: Settings, kill_when: Callable[[float], bool] | None) -> str:
    """A run in its own process group; SIGKILL the group once ``kill_when`` holds. How it ended."""
    start = time.time()
    env = {**os.environ, **settings.env()}
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, END.isoformat()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    if kill_when is None:
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err.decode()[-3000:]
        return "completed"
    while proc.poll() is None and not kill_when(start):
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before the stage began: " + proc.stderr.read().decode()[-2000:]
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return "killed"


def _marts(warehouse: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [
            n
            for (n,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        ]
        return {n: con.execute(f"select * from marts.{n} order by all").fetchall() for n in sorted(names)}


def test_a_run_killed_in_every_stage_converges_to_the_clean_build(built_lake, tmp_path):
    clean = built_lake.settings
    settings = Settings.at(tmp_path / "home")
    for path in clean.archive.rglob("*"):
        if path.is_file():  # archived as <sha prefix>-<name>: land them again under their names
            target = settings.landing / path.parent.name / path.name.split("-", 1)[1]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    shutil.copytree(clean.home / "secrets", settings.home / "secrets")  # the same pseudonyms

    ended = {stage: _run(settings, kill_when) for stage, kill_when in _stages(settings).items()}
    assert set(ended.values()) == {"killed"}
    _run(settings, None)

    expected, got = _marts(clean.warehouse), _marts(settings.warehouse)
    assert got.keys() == expected.keys()
    for name in expected:
        assert got[name] == expected[name], name
