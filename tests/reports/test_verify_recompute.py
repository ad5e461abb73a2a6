"""`opslake report verify` re-computes every figure from the lake at the pack's recorded Delta versions: a figure
edited in a re-signed pack fails, an erasure since the pack is named as the reason a figure moved, and a closed
period gives the same figures after later data arrives."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from demo import generate
from opslake import lake
from opslake.publication import current
from opslake.settings import Settings
from orchestration.materialize import materialize_all
from privacy.pseudonyms import installation_secret, pseudonym
from tests.fixtures.cli import opslake

PERIOD = "2026-09"  # closed: the built lake's data runs to 2026-10-31
LATER = dt.date(2026, 11, 3)  # the last day of data that arrives after the pack


def _home(built_lake, tmp_path_factory, name: str) -> Settings:
    own = tmp_path_factory.mktemp(name) / "home"
    shutil.copytree(built_lake.settings.home, own, symlinks=True)
    return Settings.at(own)


@pytest.fixture(scope="module")
def home(built_lake, tmp_path_factory) -> Settings:
    return _home(built_lake, tmp_path_factory, "verify")


@pytest.fixture(scope="module")
def pack(home) -> Path:
    return _generate(home)


def _generate(home: Settings) -> Path:
    result = opslake(home, "report", "compliance", "--period", PERIOD)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _verify(home: Settings, pack: Path):
    return opslake(home, "report", "verify", str(pack))


def _rows(csv_file: Path) -> list[dict]:
    with open(csv_file, newline="") as f:
        return list(csv.DictReader(f))


def _later_month(home: Settings, folder: Path) -> None:
    """November's audit, usage and incident records of the tenants the lake already has, into landing.

    Another demo world (seed) so that no id repeats; its other tenants stay out, since a tenant first seen later
    adds `not_applicable` rows to every earlier month (the control spine crosses every tenant with every month).
    """
    tenants = {
        json.loads(line)["tenant_id"]
        for path in home.archive.glob("audit/*.jsonl")
        for line in path.read_text().splitlines()
    }
    generate(folder, days=3, tenants=4, events=1_500, seed=12, end=LATER)
    for domain in ("audit", "usage", "incident"):
        for path in sorted((folder / domain).glob("*.jsonl")):
            kept = [
                line for line in path.read_text().splitlines() if json.loads(line)["tenant_id"] in tenants
            ]
            target = home.landing_dir(domain) / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("".join(f"{line}\n" for line in kept))


def _controls(pack: Path) -> dict[Path, bytes]:
    """Every file of the pack's controls (the CSVs and their SQL) by path in the pack."""
    return {p.relative_to(pack): p.read_bytes() for p in (pack / "controls").rglob("*") if p.is_file()}


def _control_lines(stdout: str, pack: Path) -> dict[str, str]:
    """Each control's verdict line, by control (the pack's folder names)."""
    controls = [p.name for p in (pack / "controls").iterdir()]
    return {c: line for line in stdout.splitlines() for c in controls if line.startswith(f"{c}: ")}


def test_a_figure_edited_in_a_pack_re_signed_with_the_installation_key_fails_naming_control_and_file(
    home, pack, tmp_path
):
    """Hashes and signature hold (the installation's own key signed the edit); only re-computation catches it."""
    copy = Path(shutil.copytree(pack, tmp_path / pack.name))
    control = next(p.parent.name for p in sorted(copy.glob("controls/*/exceptions.csv")) if _rows(p))
    exceptions = copy / "controls" / control / "exceptions.csv"
    exceptions.write_bytes(b"".join(exceptions.read_bytes().splitlines(keepends=True)[:-1]))  # one row less
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"][f"controls/{control}/exceptions.csv"] = hashlib.sha256(
        exceptions.read_bytes()
    ).hexdigest()
    message = json.dumps(manifest, indent=2, sort_keys=True).encode()
    (copy / "manifest.json").write_bytes(message)
    key = serialization.load_pem_private_key(home.signing_key_path.read_bytes(), password=None)
    (copy / "manifest.sig").write_text(base64.b64encode(key.sign(message)).decode())

    result = _verify(home, copy)
    assert result.returncode == 1, result.stdout + result.stderr
    recorded = len(json.loads((copy / "manifest.json").read_text())["files"])
    assert (
        "signature: valid" in result.stdout and f"hashes: all {recorded} files as recorded" in result.stdout
    )
    lines = _control_lines(result.stdout, copy)
    assert lines[control].startswith(f"{control}: differs (exceptions.csv) at the recorded versions")
    assert all(line.endswith(": identical") for c, line in lines.items() if c != control)
    assert result.stdout.splitlines()[-1] == f"{copy}: DOES NOT HOLD"
    assert "Traceback" not in result.stderr


def test_later_data_leaves_the_closed_period_as_it_was_and_the_pack_re_computes_at_its_versions(
    home, pack, tmp_path
):
    """November's data arrives and is built and published: September's pack made again is the same, and the first
    pack re-computes identically from the lake at the versions it recorded, which are no longer the newest."""
    before = Path(shutil.copytree(pack, tmp_path / "before"))
    recorded = json.loads((before / "manifest.json").read_text())["lake_versions"]
    _later_month(home, tmp_path / "generated")
    with lake.lake_writer(home, "run"):
        assert all(r.success for r in materialize_all(home, checks=False, today=LATER))
    now = current(home).lake_versions
    assert all(now[t] > recorded[t] for t in ("silver.audit", "silver.usage"))  # the lake moved on

    again = _generate(home)
    assert _controls(again) == _controls(before)

    result = _verify(home, before)
    assert result.returncode == 0, result.stdout + result.stderr
    at = ", ".join(f"{t} {v}" for t, v in sorted(recorded.items()))
    assert f"re-computed from the lake at the pack's recorded Delta versions: {at}\n" in result.stdout
    lines = _control_lines(result.stdout, before)
    assert len(lines) == 7 and all(line.endswith(": identical") for line in lines.values())


def test_after_an_erasure_verify_names_the_erasure_that_explains_each_moved_figure(
    built_lake, tmp_path_factory
):
    home = _home(built_lake, tmp_path_factory, "erased")
    pack = _generate(home)
    recorded = json.loads((pack / "manifest.json").read_text())["lake_versions"]
    key = installation_secret(home.secret_path)
    actors = set()
    for path in sorted(home.archive.glob("audit/*.jsonl")):
        actors |= {json.loads(line).get("actor_id") for line in path.read_text().splitlines()}
    in_evidence = {
        p.parent.name: {r["actor_id"] for r in _rows(p)}
        for p in sorted(pack.glob("controls/*/exceptions.csv"))
    }
    subject, control = next(
        (a, c)
        for a in sorted(filter(None, actors))
        for c, ids in in_evidence.items()
        if pseudonym(key, a) in ids
    )

    erased = opslake(home, "erase", "--subject", subject, "--requested-at", "2026-12-01T09:00:00")
    assert erased.returncode == 0, erased.stderr
    assert not (home.published / "current").exists()  # withdrawn: verify reads the lake, not a publication

    result = _verify(home, pack)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "re-computed from the lake at the current Delta versions" in result.stdout
    named = f"erasure of subject key {pseudonym(key, subject)} (requested 2026-12-01T09:00:00+00:00) on "
    line = _control_lines(result.stdout, pack)[control]
    assert line.startswith(f"{control}: differs (exceptions.csv") and f"explained by {named}" in line
    assert f"version {recorded['silver.audit']} of silver.audit" in line
    assert subject not in result.stdout
    assert result.stdout.splitlines()[-1] == f"{pack}: holds"
