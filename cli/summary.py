"""What the main job reports: tables, row counts and quarantine counts."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
from rich.table import Table

from ingestion.contracts import DOMAINS
from ingestion.landing import pending_files
from opslake import lake
from opslake.settings import Settings
from opslake.tables import INGEST_LOG, QUARANTINE


def seed_demo_data(settings: Settings, generate: Callable[[Path], None]) -> bool:
    """Generate the default data set into landing/ when nothing is waiting and nothing was ever ingested."""
    waiting = any(pending_files(settings, d) for d in DOMAINS)
    ingested = lake.open_table(settings.table_uri("bronze", INGEST_LOG)) is not None
    if waiting or ingested:
        return False
    staging = settings.generating
    shutil.rmtree(staging, ignore_errors=True)
    generate(staging)
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = settings.landing / path.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)
    shutil.rmtree(staging)
    return True


def quarantine_counts(settings: Settings) -> dict[str, int]:
    rows = lake.read_table(settings.table_uri("bronze", QUARANTINE), ["domain"])
    if rows is None:
        return {}
    counts = rows.group_by("domain").aggregate([("domain", "count")])
    return dict(zip(counts["domain"].to_pylist(), counts["domain_count"].to_pylist(), strict=True))


def warehouse_counts(settings: Settings) -> list[tuple[str, int]]:
    if not settings.warehouse.exists():
        return []
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables order by 1, 2"
        ).fetchall()
        return [
            (f"{s}.{t}", con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0]) for s, t in tables
        ]


def lake_summary(settings: Settings) -> Table:
    table = Table(title=f"opslake at {settings.home}")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("quarantined", justify="right")
    quarantined = quarantine_counts(settings)
    for domain in DOMAINS:
        rows = lake.row_count(settings.table_uri("bronze", domain))
        table.add_row(f"bronze.{domain}", _n(rows), _n(quarantined.get(domain, 0)))
    for domain in DOMAINS:
        table.add_row(
            f"silver.{domain} (masked)", _n(lake.row_count(settings.table_uri("silver", domain))), ""
        )
    for name, rows in warehouse_counts(settings):
        table.add_row(f"warehouse {name}", _n(rows), "")
    return table


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
