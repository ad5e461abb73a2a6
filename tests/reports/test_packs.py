"""`opslake report compliance` and `opslake report verify` on a copy of the session's built lake."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from opslake import lake
from opslake.publication import current_path
from opslake.settings import Settings
from opslake.tables import PRIVILEGED_OPERATIONS
from tests.fixtures.cli import opslake
from tests.fixtures.scan import files_holding, raw_people

PERIOD = "2026-09"  # closed: the built lake's data runs to 2026-10-31


@pytest.fixture(scope="module")
def home(built_lake, tmp_path_factory) -> Settings:
    """A copy of the built home: packs and the privileged-operations trail are written here."""
    own = tmp_path_factory.mktemp("reports") / "home"
    shutil.copytree(built_lake.settings.home, own, symlinks=True)
    return Settings.at(own)


@pytest.fixture(scope="module")
def pack(home) -> Path:
    return _generate(home)


def _generate(home: Settings, *args: str) -> Path:
    result = opslake(home, "report", "compliance", "--period", PERIOD, *args)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def _mart(home: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(current_path(home)), read_only=True) as con:
        return con.execute(sql).fetchall()


def _verify(home: Settings, pack: Path):
    return opslake(home, "report", "verify", str(pack))


def _copy(pack: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pack, tmp_path / pack.name))


def test_pack_verifies_with_every_control_identical(home, pack):
    controls = {
        r[0]
        for r in _mart(
            home,
            "select distinct control_id from marts.compliance_controls "
            "where framework = 'SOC2' and month = date '2026-09-01'",
        )
    }
    assert len(controls) == 7
    result = _verify(home, pack)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert {line.split(":")[0] for line in lines if line.endswith(": identical")} == controls
    assert "signature: valid" in result.stdout
    assert lines[-1].endswith("holds")
    assert pack == home.reports / "soc2" / PERIOD
    assert {p.name for p in (pack / "controls").iterdir()} == controls
    for control in controls:
        assert {p.name for p in (pack / "controls" / control).iterdir()} == {
            "result.csv",
            "population.csv",
            "exceptions.csv",
            "query.sql",
        }


def test_one_byte_changed_in_a_csv_fails_naming_the_file(home, pack, tmp_path):
    copy = _copy(pack, tmp_path)
    csv_file = copy / "controls" / "CC6.1-MFA" / "population.csv"
    data = bytearray(csv_file.read_bytes())
    data[-2] ^= 1
    csv_file.write_bytes(bytes(data))
    result = _verify(home, copy)
    assert result.returncode == 1
    assert "file differs from its recorded SHA-256: controls/CC6.1-MFA/population.csv" in result.stdout
    assert "CC6.1-MFA: differs (population.csv)" in result.stdout
    assert "CC6.2-DEPROVISIONING: identical" in result.stdout


def test_a_manifest_resigned_with_another_key_fails_on_the_signature(home, pack, tmp_path):
    """An edit whose hash is put in the manifest still fails: only the installation's key signs."""
    copy = _copy(pack, tmp_path)
    edited = copy / "summary.json"
    edited.write_text(edited.read_text().replace('"status": "fail"', '"status": "pass"'))
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["summary.json"] = hashlib.sha256(edited.read_bytes()).hexdigest()
    message = json.dumps(manifest, indent=2).encode()
    (copy / "manifest.json").write_bytes(message)
    (copy / "manifest.sig").write_text(base64.b64encode(Ed25519PrivateKey.generate().sign(message)).decode())
    result = _verify(home, copy)
    assert result.returncode == 1
    assert "signature: INVALID" in result.stdout
    assert "hashes: all" in result.stdout  # the hashes agree with the forged manifest


def test_summary_figures_equal_a_direct_count_on_the_marts(home, pack):
    expected = {
        control: (population, exceptions, rows)
        for control, population, exceptions, rows in _mart(
            home,
            "select c.control_id, sum(c.population), sum(c.exceptions), "
            "(select count(*) from marts.compliance_exceptions e "
            " where e.control_id = c.control_id and e.month = c.month) "
            "from marts.compliance_controls c where c.framework = 'SOC2' and c.month = date '2026-09-01' "
            "group by c.control_id, c.month",
        )
    }
    summary = json.loads((pack / "summary.json").read_text())
    found = {
        c["control_id"]: (c["population"], c["exceptions"], c["exception_rows"]) for c in summary["controls"]
    }
    assert found == expected
    assert any(exceptions for _, exceptions, _ in expected.values())  # the comparison is not all zeros
    for control, (_, _, rows) in expected.items():
        with open(pack / "controls" / control / "exceptions.csv", newline="") as f:
            assert sum(1 for _ in csv.DictReader(f)) == rows
    assert summary["is_partial"] is False
    assert summary["days_covered"] == summary["days_in_period"] == 30


def _csv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_the_population_lists_every_item_counted_and_fails_exactly_the_exceptions(home, pack):
    """Each control's population.csv against its result.csv counts and exceptions.csv items."""
    sampled = 0
    for folder in sorted((pack / "controls").iterdir()):
        results, items = _csv(folder / "result.csv"), _csv(folder / "population.csv")
        failed_items = {(r["tenant_id"], r["population_item_id"]) for r in _csv(folder / "exceptions.csv")}
        assert len(items) == sum(int(r["population"]) for r in results), folder.name
        assert len({(r["tenant_id"], r["population_item_id"]) for r in items}) == len(items)
        assert {
            (r["tenant_id"], r["population_item_id"]) for r in items if r["result"] == "fail"
        } == failed_items
        assert sum(int(r["exceptions"]) for r in results) == len(failed_items)
        assert all(r["month"] == f"{PERIOD}-01" for r in items)
        sampled += len(items)
    (expected,) = _mart(
        home,
        "select count(*) from marts.compliance_population p join marts.compliance_controls c "
        "using (tenant_id, control_id, month) where c.framework = 'SOC2' and month = date '2026-09-01'",
    )[0:1]
    assert sampled == expected[0] > 0


def test_the_manifest_records_the_publication_and_lake_versions(home, pack):
    manifest = json.loads((pack / "manifest.json").read_text())
    (build_id, versions), *_ = _mart(home, "select build_id, lake_versions from opslake.publication")
    assert manifest["publication"] == manifest["publication"] | {
        "build_id": build_id,
        "file": current_path(home).name,
    }
    assert manifest["lake_versions"] == json.loads(versions)
    assert manifest["period"] == PERIOD and manifest["framework"] == "SOC2"
    files = sorted(p.relative_to(pack).as_posix() for p in pack.rglob("*") if p.is_file())
    assert sorted(manifest["files"]) == [f for f in files if f not in ("manifest.json", "manifest.sig")]


def test_the_signing_key_is_owner_only_and_refused_once_others_can_read_it(home, pack):
    key = home.home / "secrets" / "report-signing.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert (home.reports / "signing-key.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    key.chmod(0o644)
    try:
        result = opslake(home, "report", "compliance", "--period", PERIOD)
    finally:
        key.chmod(0o600)
    assert result.returncode == 2
    assert "readable by others" in result.stderr and "Traceback" not in result.stderr


def test_no_raw_email_or_name_of_the_input_is_in_the_pack(built_lake, pack):
    people = raw_people(built_lake.settings.archive)
    assert len(people) > 20
    assert files_holding(pack, people) == []


def test_a_closed_period_twice_gives_identical_bytes(home, pack):
    before = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    again = _generate(home)
    after = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert again == pack
    signed = {Path("manifest.json"), Path("manifest.sig")}  # they carry the time of generation
    assert {k: v for k, v in after.items() if k not in signed} == {
        k: v for k, v in before.items() if k not in signed
    }
    assert len(before) == 7 * 4 + 5  # and summary.json, report.html, report.pdf, the manifest, its signature


def test_generating_a_pack_is_a_recorded_privileged_operation(home, pack):
    trail = lake.read_table(home.table_uri("governance", PRIVILEGED_OPERATIONS)).to_pylist()
    made = [
        json.loads(r["details"])
        for r in trail
        if r["operation"] == "compliance_report" and r["outcome"] == "succeeded"
    ]
    assert {(d["framework"], d["period"], d["folder"]) for d in made} == {("soc2", PERIOD, str(pack))}


def test_a_month_without_results_is_refused_with_a_sentence(home):
    result = opslake(home, "report", "compliance", "--period", "2026-11", "--framework", "gdpr")
    assert result.returncode == 2
    assert "no GDPR control results for 2026-11" in result.stderr and "Traceback" not in result.stderr
