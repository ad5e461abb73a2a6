"""The main job's set-up and summary: demo data only into an empty lake, counts read from the Delta log."""

from __future__ import annotations

import datetime as dt
from functools import partial

from rich.console import Console

from cli.summary import lake_summary, seed_demo_data
from demo import generate
from ingestion.contracts import DOMAINS
from ingestion.landing import ingest_landing, pending_files
from opslake.lake import row_count
from tests.fixtures.records import BROKEN_AUDIT, audit, write_jsonl


def test_demo_data_is_generated_only_into_an_empty_lake(settings):
    small = partial(generate, days=2, tenants=2, events=500, seed=5, end=dt.date(2026, 11, 20))
    assert seed_demo_data(settings, small) is True
    assert all(pending_files(settings, d) for d in DOMAINS)
    assert not (settings.home / ".generating").exists()
    assert seed_demo_data(settings, small) is False  # files are waiting
    for domain in DOMAINS:
        ingest_landing(settings, domain)
    assert seed_demo_data(settings, small) is False  # the lake has data: never generate over it


def test_summary_counts_rows_and_quarantine(settings, tmp_path):
    write_jsonl(
        settings.landing_dir("audit") / "a.jsonl", [audit(i) for i in range(7)] + [x for x, _ in BROKEN_AUDIT]
    )
    ingest_landing(settings, "audit")
    assert row_count(settings.table_uri("bronze", "audit")) == 7
    assert row_count(settings.table_uri("bronze", "usage")) is None
    console = Console(record=True, width=120)
    console.print(lake_summary(settings))
    line = next(x for x in console.export_text().splitlines() if "bronze.audit" in x)
    assert line.split("│")[2].strip() == "7" and line.split("│")[3].strip() == str(len(BROKEN_AUDIT))
