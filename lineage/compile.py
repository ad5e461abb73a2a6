"""Compile the dbt project for lineage: SQL rendered by dbt itself, against an in-memory DuckDB.

Compiling reads no table, so lineage needs neither the lake nor the warehouse, and never writes either. The
result is cached per project content: a run with no change to the project does not compile again.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from opslake import dbt_project


class CompileError(RuntimeError):
    """dbt could not parse the project: nothing about its lineage is known."""


def compile_project(project_dir: Path, work_dir: Path) -> dict:
    """The manifest of ``project_dir`` with every model's compiled SQL (cached under ``work_dir``)."""
    target = work_dir / "target"
    stamp = work_dir / "fingerprint"
    fingerprint = dbt_project.fingerprint(project_dir)
    manifest = target / "manifest.json"
    if not (stamp.exists() and stamp.read_text() == fingerprint and manifest.exists()):
        _run_compile(project_dir, work_dir, target)
        stamp.write_text(fingerprint)
    return json.loads(manifest.read_text())


def _run_compile(project_dir: Path, work_dir: Path, target: Path) -> None:
    work_dir.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    output = {"type": "duckdb", "path": ":memory:", "threads": 1}
    profile = {config["profile"]: {"target": "lineage", "outputs": {"lineage": output}}}
    (work_dir / "profiles.yml").write_text(yaml.safe_dump(profile))
    (target / "manifest.json").unlink(missing_ok=True)
    args = ["compile", "--project-dir", str(project_dir), "--profiles-dir", str(work_dir), "--quiet"]
    args += ["--target-path", str(target), "--log-path", str(work_dir / "logs")]
    args += ["--select", "resource_type:model", "resource_type:snapshot", "--indirect-selection", "empty"]
    command = [str(dbt_project.DBT_EXECUTABLE), *args]
    done = subprocess.run(command, cwd=project_dir, capture_output=True, text=True)
    if not (target / "manifest.json").exists():
        raise CompileError(
            f"dbt could not parse {project_dir}:\n{(done.stdout + done.stderr).strip()[-2000:]}"
        )
