"""The command line: contract docs stay in step with the code, `ingest --json` prints the accounting."""

from __future__ import annotations

import csv
import json
import re

from cli.docs.contracts import ADMINISTRATIVE_ACTIONS, render
from ingestion.contracts import AUDIT_ACTIONS, CONTRACTS
from opslake.dbt_project import SEED_DIR, VARS
from opslake.settings import PROJECT_ROOT
from tests.fixtures.cli import opslake
from tests.fixtures.records import BROKEN_AUDIT, audit, write_jsonl


def test_docs_contracts_md_is_generated_from_the_code():
    text = (PROJECT_ROOT / "docs" / "contracts.md").read_text()
    assert text == render(), "docs/contracts.md is stale: run `uv run opslake contracts`"
    for contract in CONTRACTS.values():
        for field in contract.fields:
            assert f"| `{field.name}` |" in text


def test_the_contracts_name_every_audit_action_the_sql_reads():
    known = dict(AUDIT_ACTIONS)
    read = set()
    for path in (PROJECT_ROOT / "transforms" / "models").rglob("*.sql"):
        for line in path.read_text().splitlines():
            if re.search(r"(?<!pr_)action\b", line.split("--")[0]):
                read |= set(re.findall(r"'([a-z]+(?:\.[a-z_]+)+)'", line))
    assert read and read <= set(known), (
        f"actions the SQL reads without a meaning in the contract: {read - set(known)}"
    )
    administrative = set(VARS[ADMINISTRATIVE_ACTIONS])
    assert administrative <= set(known)
    text = (PROJECT_ROOT / "docs" / "contracts.md").read_text()
    for action in known:
        assert f"| `{action}`{' *admin*' if action in administrative else ''} |" in text


def test_every_seed_a_contract_names_has_the_key_it_is_looked_up_by():
    for contract in CONTRACTS.values():
        for seed in contract.seeds:
            with (SEED_DIR / f"{seed.seed}.csv").open(newline="") as file:
                assert seed.key in (csv.DictReader(file).fieldnames or []), seed
            assert set(seed.fields) <= set(contract.names), seed


def test_docs_metrics_md_is_generated_from_the_marts_yaml(parsed_dbt):
    from cli.docs.metrics import render as render_metrics

    text = (PROJECT_ROOT / "docs" / "metrics.md").read_text()
    assert text == render_metrics(parsed_dbt / "manifest.json"), (
        "docs/metrics.md is stale: run `opslake metrics`"
    )
    assert "## dora_metrics_monthly" in text and "| `change_failure_rate` |" in text


def test_ingest_json_prints_the_accounting(settings, tmp_path):
    lines = [audit(i) for i in range(10)] + [audit(3)] + [x for x, _ in BROKEN_AUDIT]
    path = write_jsonl(tmp_path / "a.jsonl", lines)
    out = opslake(settings, "ingest", "audit", str(path), "--json", check=True)
    report = json.loads(out.stdout)
    assert report["read"] == len(lines)
    assert (report["accepted"], report["duplicates"], report["quarantined"]) == (10, 1, len(BROKEN_AUDIT))
    assert report["read"] == report["accepted"] + report["duplicates"] + report["quarantined"]
    assert sum(report["reasons"].values()) == len(BROKEN_AUDIT)


def test_ingest_explains_what_to_do_on_bad_arguments(settings, tmp_path):
    out = opslake(settings, "ingest", "sales", str(tmp_path / "x.jsonl"))
    assert out.returncode == 2
    assert "unknown domain 'sales'" in out.stderr and "next:" in out.stderr
    bad = tmp_path / "a.xml"
    bad.write_text("<a/>")
    out = opslake(settings, "ingest", "audit", str(bad))
    assert out.returncode == 1 and f"skipped {bad}: not a type opslake reads" in out.stderr


def test_every_subcommand_has_help():
    for command in (
        "generate",
        "ingest",
        "run",
        "retention",
        "contracts",
        "metrics",
        "sql",
        "catalog",
        "docs",
        "erase",
        "lineage",
        "bench",
    ):
        out = opslake(None, command, "--help", check=True)
        assert "Usage:" in out.stdout


def test_erase_prints_a_receipt_and_removes_the_subject(settings, tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [audit(1, actor_email="jane.doe@acme.example"), audit(2)])
    opslake(settings, "ingest", "audit", str(path), check=True)
    out = opslake(settings, "erase", "--subject", "jane.doe@acme.example", "--json", check=True)
    receipt = json.loads(out.stdout)
    assert receipt["rows_deleted"] == 1 and len(receipt["subject_key"]) == 24
    assert "jane.doe" not in out.stdout  # the receipt is pseudonymous
