"""The report of an evidence pack (report.html, report.pdf) against the marts read directly, on a copy of the
session's built lake: its figures, partial periods, exceptions, data health, lineage, privacy and signature."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest
from pypdf import PdfReader

from opslake.dbt_project import SEED_DIR
from opslake.publication import current_path, open_published
from opslake.settings import Settings
from reports import contents, render
from tests.fixtures.cli import opslake
from tests.fixtures.html import section, svg_texts, table_headed, table_starting, tables
from tests.fixtures.scan import files_holding, raw_people

CLOSED, OPEN, TENANT = "2026-09", "2026-10", "t-tyrell"  # the built lake's data runs to 2026-10-31


@pytest.fixture(scope="module")
def home(built_lake, tmp_path_factory) -> Settings:
    own = tmp_path_factory.mktemp("report") / "home"
    shutil.copytree(built_lake.settings.home, own, symlinks=True)
    return Settings.at(own)


def _generate(home: Settings, *args: str) -> tuple[Path, str]:
    result = opslake(home, "report", "compliance", *args)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip().splitlines()[-1]), result.stderr


@pytest.fixture(scope="module")
def generated(home) -> tuple[Path, str]:
    return _generate(home, "--period", CLOSED)


@pytest.fixture(scope="module")
def pack(generated) -> Path:
    return generated[0]


@pytest.fixture(scope="module")
def tenant_pack(home) -> Path:
    return _generate(home, "--period", OPEN, "--tenant", TENANT)[0]


def _mart(home: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(current_path(home)), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _status(fail: int, passed: int) -> str:
    return "fail" if fail else "pass" if passed else "not applicable"


def test_the_report_is_hashed_and_signed_and_a_changed_byte_fails_verify(home, pack, tmp_path):
    manifest = json.loads((pack / "manifest.json").read_text())
    for name in ("report.html", "report.pdf"):
        assert manifest["files"][name] == hashlib.sha256((pack / name).read_bytes()).hexdigest()
    assert (pack / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert opslake(home, "report", "verify", str(pack)).returncode == 0
    copy = Path(shutil.copytree(pack, tmp_path / pack.name))
    data = bytearray((copy / "report.pdf").read_bytes())
    data[len(data) // 2] ^= 1
    (copy / "report.pdf").write_bytes(bytes(data))
    result = opslake(home, "report", "verify", str(copy))
    assert result.returncode == 1
    assert "file differs from its recorded SHA-256: report.pdf" in result.stdout
    assert "report.html" not in result.stdout


def test_generating_the_report_prints_nothing_on_stderr(generated):
    assert generated[1] == ""  # no WeasyPrint or fontTools warnings reach the user's terminal


def test_the_executive_summary_equals_the_marts(home, pack):
    rows = _mart(
        home,
        "select control_id, sum(population), sum(exceptions), count(*) filter (where status = 'fail'), "
        "count(*) filter (where status = 'pass'), count(*) filter (where status = 'not_applicable') "
        "from marts.compliance_controls where framework = 'SOC2' and month = date '2026-09-01' "
        "group by control_id order by control_id",
    )
    html = (pack / "report.html").read_text()
    shown = table_headed(html, "Control")
    assert [(r[0], r[3], r[4], r[5], r[6]) for r in shown] == [
        (c, _status(f, p), f"{pop:,}", f"{exc:,}", f"{f} / {p} / {na}") for c, pop, exc, f, p, na in rows
    ]
    (exception_rows,) = _mart(
        home, "select count(*) from marts.compliance_exceptions where month = date '2026-09-01'"
    )[0]
    facts = dict(table_starting(html, "Framework"))
    statuses = [_status(f, p) for _, _, _, f, p, _ in rows]
    assert facts["Controls"] == (
        f"{statuses.count('fail')} failed, {statuses.count('pass')} passed, "
        f"{statuses.count('not applicable')} not applicable (of {len(rows)})"
    )
    assert facts["Population tested"] == f"{sum(r[1] for r in rows):,} items"
    assert (
        facts["Exceptions"] == f"{sum(r[2] for r in rows):,} failed items ({exception_rows:,} exception rows)"
    )
    assert facts["Period"] == "2026-09 (complete: 30 days)" and facts["Tenant scope"] == "all tenants"
    assert "Partial period" not in _pdf_text(
        pack / "report.pdf"
    )  # earlier months of its trend may be partial


def test_an_open_month_is_marked_partial_and_scoped_to_its_tenant(home, tenant_pack):
    (covered, days, population, exceptions), *_ = _mart(
        home,
        "select min(days_covered), max(days_in_period), sum(population), sum(exceptions) "
        "from marts.compliance_controls where framework = 'SOC2' and month = date '2026-10-01' and tenant_id = ?",
        [TENANT],
    )
    assert covered < days
    text = " ".join(_pdf_text(tenant_pack / "report.pdf").split())
    assert f"Partial period: {covered} of {days} days covered" in text
    assert f"{OPEN} (partial: {covered} of {days} days)" in text
    facts = dict(table_starting((tenant_pack / "report.html").read_text(), "Framework"))
    assert facts["Tenant scope"] == TENANT
    assert facts["Population tested"] == f"{population:,} items"
    assert facts["Exceptions"].startswith(f"{exceptions:,} failed items")


def test_each_control_shows_its_trend_and_exceptions_as_in_the_marts(home, pack):
    html = (pack / "report.html").read_text()
    controls = [r[0] for r in table_headed(html, "Control")]
    assert len(controls) == 7
    for control in controls:
        part = section(html, control)
        months = _mart(
            home,
            "select strftime(month, '%Y-%m'), sum(population), sum(exceptions) from marts.compliance_controls "
            "where control_id = ? and month between date '2026-04-01' and date '2026-09-01' "
            "group by month order by month",
            [control],
        )
        labels = svg_texts(part)
        assert [m for m, _, _ in months] == [t.removesuffix(" partial") for t in labels if t[:4] == "2026"]
        assert [f"{e:,} of {p:,}" if p else "nothing tested" for _, p, e in months] == [
            t for t in labels if " of " in t or t == "nothing tested"
        ]
        expected = _mart(
            home,
            "select tenant_id, exception_type, detail, evidence_event_ids[1] from marts.compliance_exceptions "
            "where control_id = ? and month = date '2026-09-01' order by tenant_id, exception_id",
            [control],
        )
        if not expected:
            assert "No exceptions." in part
            continue
        shown = table_headed(part, "Tenant")
        assert [(r[0], r[1].replace(" ", ""), r[4]) for r in shown] == [(t, x, d) for t, x, d, _ in expected]
        assert all(
            r[5].startswith(e) if e else r[5] == "" for r, (*_, e) in zip(shown, expected, strict=True)
        )


def test_a_long_exception_table_is_cut_and_names_the_csv(home, pack):
    (rows,) = _mart(
        home,
        "select count(*) from marts.compliance_exceptions "
        "where control_id = 'CC6.1-MFA' and month = date '2026-09-01'",
    )[0]
    assert rows > 2
    summary = json.loads((pack / "summary.json").read_text())
    with open_published(current_path(home)) as con:
        report = contents.gather(con, home, summary, dt.date(2026, 9, 1), exceptions_shown=2)
    part = section(render.html(report), "CC6.1-MFA")
    assert len(table_headed(part, "Tenant")) == 2
    assert (
        f"The first 2 of {rows} rows: {rows - 2} more in <code>controls/CC6.1-MFA/exceptions.csv</code>"
        in part
    )
    with open(pack / "controls" / "CC6.1-MFA" / "exceptions.csv", newline="") as f:
        assert sum(1 for _ in csv.DictReader(f)) == rows  # the CSV stays whole


def test_the_definitions_data_health_and_lineage_are_shown(home, pack):
    html = (pack / "report.html").read_text()
    with open(SEED_DIR / "compliance" / "compliance_control_catalog.csv", newline="") as f:
        catalog = {r["control_id"]: r for r in csv.DictReader(f)}
    mfa = section(html, "CC6.1-MFA")
    assert catalog["CC6.1-MFA"]["description"] in mfa
    assert "<code>int_logins_tested_for_mfa</code>" in mfa
    lineage = dict(table_starting(mfa, "marts.compliance_controls"))
    assert "mfa_used" in lineage["from silver.audit"].split(", ")
    assert "staging.stg_silver__audit_events" in lineage["computed by (nearest first)"]
    incidents = dict(table_starting(section(html, "CC7.4-INCIDENT-RESPONSE"), "marts.compliance_controls"))
    assert "severity" in incidents["from silver.incident"].split(", ")
    assert incidents["from seeds.incident_response_targets"] == "acknowledge_minutes, resolve_minutes"
    freshness = _mart(home, "select domain, records from health.freshness order by domain")
    assert [(r[0], r[2]) for r in tables(html[html.index("Freshness of each feed") :])[0][1:]] == [
        (d, f"{n:,}") for d, n in freshness
    ]
    volume = _mart(
        home,
        "select domain, count(*), sum(records) from health.daily_volume "
        "where day between date '2026-09-01' and date '2026-09-30' group by domain order by domain",
    )
    volume_table = tables(html[html.index("Volume in 2026-09") :])[0]
    assert [(r[0], r[1], r[2]) for r in volume_table[1:]] == [
        (d, f"{n} of 30", f"{v:,}") for d, n, v in volume
    ]


def test_no_raw_email_or_name_of_the_input_is_in_the_report(built_lake, pack, tenant_pack):
    people = raw_people(built_lake.settings.archive)
    assert len(people) > 20
    for folder in (pack, tenant_pack):
        texts = {
            "report.pdf": _pdf_text(folder / "report.pdf"),
            "report.html": (folder / "report.html").read_text(),
        }
        assert "CC6.1-MFA" in texts["report.pdf"] and "Exceptions" in texts["report.pdf"]  # the text was read
        assert {name for name, text in texts.items() if any(p in text for p in people)} == set()
        assert files_holding(folder, people, under=("report.html", "report.pdf")) == []
    actors = {
        r[0] for r in _mart(built_lake.settings, "select actor_id from marts.compliance_exceptions") if r[0]
    }
    shown = {r[3] for r in table_headed(section((pack / "report.html").read_text(), "CC6.1-MFA"), "Tenant")}
    assert shown and shown <= actors  # people are there, as the marts' pseudonyms
