"""Shared fixtures: every test gets its own OPSLAKE_HOME with a real lake in a temporary folder; the tests of
the marts, lineage and checks share one small generated lake run through the whole pipeline once per session."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from opslake.settings import Settings


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    home = tmp_path / "home"
    monkeypatch.setenv("OPSLAKE_HOME", str(home))
    monkeypatch.delenv("OPSLAKE_LAKE_ROOT", raising=False)
    return Settings.at(home)


REPO = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).with_name("dbt")
END = dt.date(2026, 10, 31)  # fixed, so that the data (and any figure computed from it) is the same every run


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
        """Run a dbt command on this lake's warehouse; return its run results."""
        target = self.settings.home / "dbt-target"
        env = {**os.environ, "OPSLAKE_HOME": str(self.settings.home), "DBT_TARGET_PATH": str(target)}
        env.pop("OPSLAKE_LAKE_ROOT", None)
        subprocess.run([str(DBT), *args, "--quiet"], cwd=REPO, env=env, check=False)
        return json.loads((target / "run_results.json").read_text())["results"]


@pytest.fixture(scope="session")
def built_lake(tmp_path_factory) -> BuiltLake:
    from ingestion.generator import generate
    from orchestration.run import materialize_all

    home = tmp_path_factory.mktemp("marts") / "home"
    settings = Settings.at(home)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OPSLAKE_HOME", str(home))
        mp.delenv("OPSLAKE_LAKE_ROOT", raising=False)
        generate(settings.landing, days=84, tenants=4, events=40_000, seed=11, end=END)
        results = materialize_all(settings)
    assert [r.success for r in results] == [True, True]
    return BuiltLake(settings)
