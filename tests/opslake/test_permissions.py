"""Owner-only files: after `opslake` runs as a user with the usual 022 umask, nothing under the home or a lake root
outside it is open to group or others, in every layer; a home made world-readable before is closed by each entry
point (the CLI, the Dagster definitions, the Streamlit app)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from opslake import dbt_project, lake
from opslake.settings import PROJECT_ROOT, Settings
from opslake.tables import QUARANTINE
from tests.fixtures.cli import USER_UMASK, opslake
from tests.fixtures.records import BROKEN_AUDIT, audit, write_jsonl

OTHERS = 0o077  # group and other bits: none may be set


def _open_to_others(root: Path) -> list[str]:
    """Every folder and file under ``root`` (itself included) with a group or other bit, with its mode."""
    found = []
    # symlinks (published/current) are not followed, and their own mode is moot: their targets are walked
    for folder, _, files in os.walk(root):
        for path in [Path(folder), *(Path(folder) / f for f in files)]:
            mode = path.lstat().st_mode
            if not stat.S_ISLNK(mode) and mode & OTHERS:
                found.append(f"{stat.filemode(mode)} {path}")
    return found


def test_nothing_a_run_writes_is_readable_by_other_accounts(tmp_path):
    env = {"OPSLAKE_HOME": str(tmp_path / "home"), "OPSLAKE_LAKE_ROOT": str(tmp_path / "elsewhere" / "lake")}
    settings = Settings.from_env(env)
    today = dt.date.today().isoformat()
    small = ["--days", "5", "--tenants", "2", "--events", "3000"]
    opslake(settings, "generate", str(settings.landing), *small, check=True)
    mine = [audit(i, event_id=f"mine-{i}", occurred_at=f"{today}T08:0{i}:00Z") for i in range(3)]
    dropped = write_jsonl(tmp_path / "mine.jsonl", mine + [line for line, _ in BROKEN_AUDIT[:3]])
    dropped.chmod(0o644)  # a user's file, copied into landing with its mode, some of it quarantined
    shutil.copy(dropped, settings.landing_dir("audit"))

    opslake(settings, "run", check=True)
    admin = ["users", "add", "ada", "--role", "admin", "--password-stdin"]
    opslake(settings, *admin, input="a long passphrase\n", check=True)

    lake_root = settings.lake_folder
    assert len(list(settings.archive.glob("audit/*-mine.jsonl"))) == 1  # the user's file, archived
    assert lake.row_count(settings.table_uri("bronze", QUARANTINE))
    layers = {
        "landing": settings.landing,
        "archive": settings.archive,
        "bronze": lake_root / "bronze" / "audit",
        "quarantine": lake_root / "bronze" / QUARANTINE,
        "silver": lake_root / "silver" / "audit",
        "gold": lake_root / "gold" / "cost_daily",
        "governance": lake_root / "governance",
        "warehouse": settings.warehouse,
        "publication": (settings.published / "current").resolve(),
        "pseudonym key": settings.secret_path,
        "users": settings.users_file,
        "dagster": settings.dagster_home,
        "dbt target": dbt_project.target_dir(settings),
        "locks": settings.locks,
        "quality": settings.quality_dir,
    }  # reports: nothing writes settings.reports yet
    assert [name for name, path in layers.items() if not path.exists()] == []
    assert _open_to_others(settings.home) + _open_to_others(lake_root) == []


APP = str(PROJECT_ROOT / "dashboards" / "streamlit_app.py")
ENTRY_POINTS = {  # each as a process starts it, then says what it left the process creating files with
    "cli": "import sys; from cli.app import main; sys.argv = ['opslake', 'status']\ntry: main()\nexcept SystemExit: pass",
    "dagster": "from orchestration.definitions import defs; defs()",
    "streamlit": f"from streamlit.testing.v1 import AppTest; AppTest.from_file({APP!r}, default_timeout=120).run()",
}


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_each_entry_point_closes_a_home_made_world_readable_before(settings, tmp_path, entry):
    lake_root = tmp_path / "elsewhere" / "lake"
    (lake_root / "bronze").mkdir(parents=True)
    for folder in (settings.home, lake_root):
        folder.chmod(0o755)  # as an earlier opslake left them
    code = ENTRY_POINTS[entry] + "\nimport os; print(oct(os.umask(0)))"
    env = {**os.environ, **Settings.at(settings.home, str(lake_root)).env()}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, umask=USER_UMASK
    )
    assert done.returncode == 0, done.stderr
    modes = {str(path): oct(path.stat().st_mode & 0o777) for path in (settings.home, lake_root)}
    assert modes == {str(settings.home): "0o700", str(lake_root): "0o700"}
    assert done.stdout.split()[-1] == "0o77"  # and whatever it goes on to write is owner-only


def test_only_a_local_lake_root_is_a_folder_to_close():
    assert Settings.at("/h").lake_folder == Path("/h/lake")
    assert Settings.at("/h", "file:///srv/lake").lake_folder == Path("/srv/lake")
    assert Settings.at("/h", "s3://bucket/lake").lake_folder is None
