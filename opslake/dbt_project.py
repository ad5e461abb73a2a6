"""The dbt project: its folder, the dbt executable, this home's profile and folders, the manifest and the marts.

dbt writes nothing into the repository: each home has ``dbt/profiles.yml`` (generated: the warehouse path is
the home's), ``dbt/target`` (the parsed manifest every reader uses) and ``dbt/build`` (the artefacts and log
of the latest build, replaced by the next). The manifest is parsed again only when the project's files change.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from opslake.settings import PROJECT_ROOT, Settings

PROJECT_DIR = PROJECT_ROOT
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")  # the venv's dbt, whatever PATH holds
_CONFIG = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())
PROFILE = _CONFIG["profile"]
MARTS_SCHEMA = _CONFIG["models"][_CONFIG["name"]]["marts"]["+schema"]
VARS: dict[str, object] = _CONFIG.get("vars", {})  # the project's business thresholds and vocabularies
SEED_DIR = PROJECT_DIR / _CONFIG["seed-paths"][0]
PATH_KEYS = ("model-paths", "macro-paths", "seed-paths", "snapshot-paths", "test-paths", "analysis-paths")
PARTIAL_PARSE = "partial_parse.msgpack"
DOCS_SITE = ("index.html", "manifest.json", "catalog.json")  # what the docs site needs, and all it serves


class DbtError(RuntimeError):
    """A dbt command failed; the message holds the end of its output."""


class NotBuilt(RuntimeError):
    """There is no warehouse yet for dbt to describe."""


def fingerprint(project_dir: Path = PROJECT_DIR) -> str:
    """A hash of every file of a dbt project (``dbt_project.yml`` and the folders it names)."""
    config = yaml.safe_load((project_dir / "dbt_project.yml").read_text())
    files = [project_dir / "dbt_project.yml"]
    for key in PATH_KEYS:
        for folder in config.get(key, []):
            files += [p for p in (project_dir / folder).rglob("*") if p.is_file()]
    digest = hashlib.sha256()
    for path in sorted(set(files)):
        digest.update(f"\n{path.relative_to(project_dir)}\n".encode() + path.read_bytes())
    return digest.hexdigest()


def target_dir(settings: Settings) -> Path:
    return settings.dbt_dir / "target"


def build_dir(settings: Settings) -> Path:
    return settings.dbt_dir / "build"


def manifest_path(settings: Settings) -> Path:
    return target_dir(settings) / "manifest.json"


def write_profile(settings: Settings) -> Path:
    """This home's ``profiles.yml``: the DuckDB warehouse at ``Settings.warehouse``, dates in UTC."""
    output = {
        "type": "duckdb",
        "path": str(settings.warehouse),
        "threads": 2,
        "settings": {"TimeZone": "UTC"},  # dates and truncations of timestamptz are taken in UTC
    }
    text = yaml.safe_dump({PROFILE: {"target": "warehouse", "outputs": {"warehouse": output}}})
    settings.dbt_dir.mkdir(parents=True, exist_ok=True)
    path = settings.dbt_dir / "profiles.yml"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return settings.dbt_dir


def command(settings: Settings, args: list[str], target: Path) -> list[str]:
    """A dbt command line on this home's profile, writing its artefacts and log to ``target``."""
    return [
        str(DBT_EXECUTABLE),
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(write_profile(settings)),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
    ]


def run(settings: Settings, args: list[str], target: Path | None = None) -> Path:
    """Run a dbt command quietly; return its target folder (``DbtError`` with dbt's output if it fails)."""
    target = target or target_dir(settings)
    env = {**os.environ, "DBT_USE_COLORS": "false"}  # its output may reach a user's terminal in an error
    done = subprocess.run(
        [*command(settings, args, target), "--quiet"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise DbtError(f"dbt {args[0]} failed:\n{(done.stdout + done.stderr).strip()[-3000:]}")
    return target


def prepare_manifest(settings: Settings) -> Path:
    """The parsed manifest of this home, parsed again when the project's files changed since."""
    path = manifest_path(settings)
    stamp = target_dir(settings) / "fingerprint"
    current = fingerprint()
    if not (path.exists() and stamp.exists() and stamp.read_text() == current):
        run(settings, ["parse"])
        stamp.write_text(current)
    return path


def fresh_build_dir(settings: Settings) -> Path:
    """An empty folder for the next build's artefacts (the last build's are replaced), with the parse state
    of the manifest so that dbt parses only what changed."""
    folder = build_dir(settings)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    state = target_dir(settings) / PARTIAL_PARSE
    if state.exists():
        shutil.copy2(state, folder / PARTIAL_PARSE)
    return folder


def docs_site(settings: Settings) -> Path:
    """dbt's docs site of this home, generated again when the project or the warehouse changed since it was.

    Its catalog is read from the warehouse's information schema: names and types, never rows. Only the files
    the site needs are kept in the folder that is served (not dbt's log, compiled folders or run results).
    """
    site, stamp = settings.dbt_docs, settings.dbt_dir / "docs.fingerprint"
    if not settings.warehouse.exists():  # dbt would create an empty one
        raise NotBuilt("nothing has been built yet, so there is nothing to document")
    state = fingerprint() + "\n" + (settings.build_stamp.read_text() if settings.build_stamp.exists() else "")
    if stamp.exists() and stamp.read_text() == state and all((site / f).exists() for f in DOCS_SITE):
        return site
    work = settings.dbt_dir / "docs-build"
    shutil.rmtree(work, ignore_errors=True)
    run(settings, ["docs", "generate"], work)
    site.mkdir(parents=True, exist_ok=True)
    for name in DOCS_SITE:
        os.replace(work / name, site / name)
    shutil.rmtree(work)
    stamp.write_text(state)
    return site


def load_manifest(path: Path) -> dict:
    """A manifest, read once per process and file version; callers must not change it."""
    return _read(path, path.stat().st_mtime_ns)


@functools.cache
def _read(path: Path, _version: int) -> dict:
    return json.loads(path.read_text())


def mart_names(manifest: dict) -> list[str]:
    """Names of the dbt models in the marts schema."""
    return sorted(mart_nodes(manifest))


def mart_nodes(manifest: dict) -> dict[str, dict]:
    """The manifest's node of each mart, by table name."""
    return {
        n.get("alias") or n["name"]: n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"].get("schema") == MARTS_SCHEMA
    }


def mart_descriptions(manifest: dict) -> dict[str, tuple[str, dict[str, str]]]:
    """Each mart's description and its columns' (YAML beside the models, ``doc()`` blocks rendered), stripped."""
    return {
        name: (node["description"].strip(), {c: v["description"].strip() for c, v in node["columns"].items()})
        for name, node in mart_nodes(manifest).items()
    }


def seed_file(settings: Settings, name: str) -> Path:
    """The CSV file of a dbt seed (reviewed configuration that Python steps read too)."""
    nodes = load_manifest(prepare_manifest(settings))["nodes"].values()
    found = [n for n in nodes if n["resource_type"] == "seed" and n["name"] == name]
    if not found:
        raise LookupError(f"the dbt project has no seed {name!r}")
    return PROJECT_DIR / found[0]["original_file_path"]
