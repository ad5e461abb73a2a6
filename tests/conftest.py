"""Shared fixtures: every test gets its own OPSLAKE_HOME with a real lake in a temporary folder; the tests of
the marts, lineage and checks share one small generated lake run through the whole pipeline once per session."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from opslake import dbt_project
from opslake.settings import Settings


@pytest.fixture(scope="session")
def parsed_dbt(tmp_path_factory) -> Path:
    """dbt's parse of the project, once per session (it depends on the project's files only)."""
    settings = Settings.at(tmp_path_factory.mktemp("parsed") / "home")
    dbt_project.prepare_manifest(settings)
    return dbt_project.target_dir(settings)


def home_with_manifest(home: Path, parsed: Path) -> Settings:
    """Settings for ``home``, with the session's parsed manifest in place (so no test parses it again)."""
    settings = Settings.at(home)
    shutil.copytree(parsed, dbt_project.target_dir(settings))
    return settings


@pytest.fixture
def settings(tmp_path, parsed_dbt) -> Settings:
    """A fresh home in a temporary folder; nothing reads the environment below the entry points."""
    return home_with_manifest(tmp_path / "home", parsed_dbt)


END = dt.date(2026, 10, 31)  # fixed, so that the data (and any figure computed from it) is the same every run
BUILT_LAKE_DATA = {"days": 84, "tenants": 4, "events": 40_000, "seed": 11, "end": END}  # the shared lake's


@dataclass(frozen=True)
class BuiltLake:
    settings: Settings

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        """Rows of a query on the built warehouse, opened read-only."""
        with duckdb.connect(str(self.settings.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def dicts(self, sql: str) -> list[dict]:
        with duckdb.connect(str(self.settings.warehouse), read_only=True) as con:
            cur = con.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def dbt(self, *args: str) -> list[dict]:
        """Run a dbt command on this lake's warehouse; return its run results (failed ones included)."""
        target = dbt_project.build_dir(self.settings)
        with contextlib.suppress(dbt_project.DbtError):  # the caller asserts on the run results
            dbt_project.run(self.settings, list(args), target)
        return json.loads((target / "run_results.json").read_text())["results"]


@pytest.fixture(scope="module")
def module_lake(tmp_path_factory, parsed_dbt) -> BuiltLake:
    """An empty home shared by a module's tests, for a small lake they write themselves and build with dbt."""
    return BuiltLake(home_with_manifest(tmp_path_factory.mktemp("lake") / "home", parsed_dbt))


@pytest.fixture(scope="session")
def built_lake(tmp_path_factory, parsed_dbt) -> BuiltLake:
    """The shared lake, built once per test session: the first xdist worker builds it (minutes) and every
    worker gets its own copy (a second), so tests that write to it (dbt runs) never meet another worker's."""
    own = tmp_path_factory.mktemp("marts") / "home"
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return BuiltLake(_build_lake(own, parsed_dbt))
    shared = tmp_path_factory.getbasetemp().parent / "built-lake"  # the session's folder, above the workers'
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "built").exists():
            _build_lake(shared / "home", parsed_dbt)
            (shared / "built").touch()
    shutil.copytree(shared / "home", own, symlinks=True)
    return BuiltLake(Settings.at(own))


def _build_lake(home: Path, parsed: Path) -> Settings:
    from demo import generate
    from orchestration.materialize import materialize_all

    settings = home_with_manifest(home, parsed)
    generate(settings.landing, **BUILT_LAKE_DATA)
    results = materialize_all(settings, today=END)  # retention as on END: the data keeps every day
    assert [r.success for r in results] == [True, True]
    return settings
