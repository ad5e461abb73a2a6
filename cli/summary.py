"""What the main job reports: tables, row counts, quarantine counts, and what the seeds did not cover."""

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


# Conditions of real data that the marts handle by a documented fallback rather than a failing check: each run
# names them, so that the seed can be completed. (sentence, query returning (value, count) rows, what is
# counted, seed file)
REVIEWS = (
    (
        "work-item states missing from the seed, counted as `unclassified` (not active, not done)",
        "select state, count(distinct tenant_id || '|' || work_item_id) "
        "from intermediate.int_work_item_state_intervals_classified where state_class = 'unclassified' "
        "group by state order by state",
        "work items",
        "transforms/seeds/flow/work_item_states.csv",
    ),
    (
        "services of the usage data missing from the seed, not measured against an SLO (no slo_daily rows)",
        "select service, count(*) from staging.stg_silver__usage_events "
        "where service not in (select service from seeds.slo_objectives) group by service order by service",
        "usage windows",
        "transforms/seeds/reliability/slo_objectives.csv",
    ),
    (
        "cost tagged with tenants missing from the seed, shown back as `unallocated` (`unknown_tenant`)",
        "select ingested_tenant_id, count(*) from intermediate.int_cost_line_items_classified "
        "where unallocated_reason = 'unknown_tenant' group by ingested_tenant_id order by ingested_tenant_id",
        "line items",
        "transforms/seeds/cost/cost_tag_tenants.csv",
    ),
)


def review_notes(settings: Settings) -> list[str]:
    """One sentence per fallback the last build used, naming the values and the seed to complete."""
    if not settings.warehouse.exists():
        return []
    notes = []
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        for sentence, sql, counted, seed in REVIEWS:
            try:
                found = con.execute(sql).fetchall()
            except duckdb.CatalogException:  # not built yet
                continue
            if found:
                listed = ", ".join(f"`{value}` ({counted}: {_n(n)})" for value, n in found)
                notes.append(f"{sentence}: {listed}; add them to {seed}")
    return notes


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
