"""Compile the dbt project for lineage: SQL rendered by dbt itself, against an in-memory DuckDB.

The project's sources are read by dbt-duckdb's ``delta`` plugin, which copies the lake into the warehouse as
a model selecting from them compiles. Compiling here swaps it for a plugin that loads nothing (same alias,
same ``lake_root``), so lineage needs neither the lake nor the warehouse, and never writes either. The result
is cached per project content: a run with no change to the project does not compile again.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml

from opslake import dbt_project


class CompileError(RuntimeError):
    """dbt could not parse the project: nothing about its lineage is known."""


def compile_project(project_dir: Path, work_dir: Path, lake_root: str) -> dict:
    """The manifest of ``project_dir`` with every model's compiled SQL (cached under ``work_dir``)."""
    project_dir, work_dir = Path(project_dir), Path(work_dir)
    target = work_dir / "target"
    stamp = work_dir / "fingerprint"
    fingerprint = f"{dbt_project.fingerprint(project_dir)} {lake_root}"
    manifest = target / "manifest.json"
    if not (stamp.exists() and stamp.read_text() == fingerprint and manifest.exists()):
        _run_compile(project_dir, work_dir, target, lake_root)
        stamp.write_text(fingerprint)
    return json.loads(manifest.read_text())


def _run_compile(project_dir: Path, work_dir: Path, target: Path, lake_root: str) -> None:
    work_dir.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    profile = {
        config["profile"]: {
            "target": "lineage",
            "outputs": {
                "lineage": {
                    "type": "duckdb",
                    "path": ":memory:",
                    "threads": 1,
                    "plugins": [
                        {"module": "lineage.dbt_plugin", "alias": "delta", "config": {"lake_root": lake_root}}
                    ],
                }
            },
        }
    }
    (work_dir / "profiles.yml").write_text(yaml.safe_dump(profile))
    (target / "manifest.json").unlink(missing_ok=True)
    env = {
        **os.environ,
        "DBT_TARGET_PATH": str(target),
        "DBT_LOG_PATH": str(work_dir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
        ),
    }
    args = ["compile", "--project-dir", str(project_dir), "--profiles-dir", str(work_dir), "--quiet"]
    args += ["--select", "resource_type:model", "resource_type:snapshot", "--indirect-selection", "empty"]
    done = subprocess.run(
        [str(dbt_project.DBT_EXECUTABLE), *args], cwd=project_dir, env=env, capture_output=True, text=True
    )
    if not (target / "manifest.json").exists():
        raise CompileError(
            f"dbt could not parse {project_dir}:\n{(done.stdout + done.stderr).strip()[-2000:]}"
        )
