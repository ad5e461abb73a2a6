"""What the human-readable report of a pack shows, read from the same publication connection as the pack's files.

Figures come from the published marts, the inputs' health from the publication's ``health`` tables (copied by
``opslake.health``), each figure's lineage from the published ``health.lineage_edges`` (the pipeline's column
lineage; ``reports`` sits beside ``lineage`` and does not import it), and each control's definition from the dbt
project: the catalog seed and the intermediate model that tests it.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict, deque
from dataclasses import dataclass

import duckdb

from opslake.dbt_project import MARTS_SCHEMA, load_manifest, prepare_manifest, seed_file
from opslake.health import SCHEMA as HEALTH
from opslake.settings import Settings
from reports import queries
from reports.charts import Month

TREND_MONTHS = 6  # the period and the five before it
EXCEPTIONS_SHOWN = 40  # rows per control in the report; exceptions.csv has them all
EVIDENCE_SHOWN = 4  # evidence event ids per exception row in the report
CATALOG = "compliance_control_catalog"
UNIONED = "int_compliance_results_unioned"  # stacks every control's test model; the marts read it
DBT_MODEL_LAYERS = ("intermediate", "staging")  # a lineage walk goes through these to the tables they read


@dataclass(frozen=True)
class Lineage:
    """Where a control's figures come from: mart columns, the models computing them, the input columns read."""

    marts: dict[str, list[str]]  # mart table -> its columns fed by the control's results
    models: list[str]  # the dbt models from the control's test down to its inputs, nearest first
    inputs: dict[str, list[str]]  # lake table or seed -> the columns the control's test reads


@dataclass(frozen=True)
class Control:
    summary: dict  # the control's entry of summary.json
    definition: dict[str, str]  # its catalog row: description, population_definition, exception_definition
    test_model: str | None  # the dbt model that tests it
    test_description: str
    trend: list[Month]
    exceptions: list[dict]  # the first EXCEPTIONS_SHOWN rows of exceptions.csv
    lineage: Lineage

    @property
    def more_exceptions(self) -> int:
        return self.summary["exception_rows"] - len(self.exceptions)


@dataclass(frozen=True)
class Report:
    summary: dict  # summary.json
    controls: list[Control]
    freshness: list[dict]
    volume: list[dict]
    ingestion: list[dict]
    quality: list[dict]
    quality_failures: list[dict]


def gather(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    summary: dict,
    month: dt.date,
    exceptions_shown: int = EXCEPTIONS_SHOWN,
) -> Report:
    tenant = summary["tenant"]
    catalog = _catalog(settings)
    models = _test_models(settings, [c["control_id"] for c in summary["controls"]])
    edges = _edges(con)
    controls = [
        Control(
            summary=c,
            definition=catalog[c["control_id"]],
            test_model=models.get(c["control_id"], (None, ""))[0],
            test_description=models.get(c["control_id"], (None, ""))[1],
            trend=_trend(con, c["control_id"], month, tenant),
            exceptions=_exceptions(con, c["control_id"], month, tenant, exceptions_shown),
            lineage=_lineage(edges, models.get(c["control_id"], (None, ""))[0]),
        )
        for c in summary["controls"]
    ]
    end = _next_month(month)
    return Report(
        summary=summary,
        controls=controls,
        freshness=_rows(con, f"select * from {HEALTH}.freshness order by domain"),
        volume=_rows(
            con,
            f"select domain, count(*) as days, sum(records) as records, min(records) as fewest, "
            f"max(records) as most from {HEALTH}.daily_volume where day >= ? and day < ? "
            f"group by domain order by domain",
            [month, end],
        ),
        ingestion=_rows(
            con,
            f'select domain, count(*) as files, sum("read") as "read", sum(accepted) as accepted, '
            f"sum(duplicates) as duplicates, sum(quarantined) as quarantined from {HEALTH}.ingestion "
            f"where first_event_date < ? and last_event_date >= ? group by domain order by domain",
            [end, month],
        ),
        quality=_rows(con, _LATEST_CHECKS.format(what=_QUALITY_COUNTS)),
        quality_failures=_rows(con, _LATEST_CHECKS.format(what=_QUALITY_FAILURES)),
    )


_LATEST_CHECKS = f"""
with latest as (
    select * from {HEALTH}.quality_results
    where layer in ('bronze', 'silver') or starts_with(asset, '{MARTS_SCHEMA}/compliance_')
    qualify run_id = last_value(run_id) over (partition by asset order by checked_at
                                              rows between unbounded preceding and unbounded following)
)
{{what}}"""
_QUALITY_COUNTS = """select layer, table_name, max(checked_at) as checked_at, count(*) as checks,
       count(*) filter (where passed) as passed, count(*) filter (where not passed) as failed
from latest group by layer, table_name order by layer, table_name"""
_QUALITY_FAILURES = """select layer, table_name, "check", "column", severity, observed, unexpected_count, element_count
from latest where not passed order by layer, table_name, "check\""""


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    try:
        cursor = con.execute(sql, params or [])
    except duckdb.CatalogException:  # a health table not yet written (no ingestion, check or lineage run)
        return []
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _months_back(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - n
    return dt.date(index // 12, index % 12 + 1, 1)


def _trend(
    con: duckdb.DuckDBPyConnection, control_id: str, month: dt.date, tenant: str | None
) -> list[Month]:
    """The control's figures over the tenants in scope, per month of the last TREND_MONTHS up to the period."""
    rows = con.execute(
        f"select month, sum(population), sum(exceptions), bool_or(is_partial) from {queries.CONTROLS} "
        "where control_id = ? and month between ? and ? and (? is null or tenant_id = ?) "
        "group by month order by month",
        [control_id, _months_back(month, TREND_MONTHS - 1), month, tenant, tenant],
    ).fetchall()
    return [Month(m, int(p), int(e), bool(partial)) for m, p, e, partial in rows]


def _exceptions(
    con: duckdb.DuckDBPyConnection, control_id: str, month: dt.date, tenant: str | None, shown: int
) -> list[dict]:
    """The first rows of the control's exceptions.csv, by the very statement that wrote it."""
    statement = queries.control_queries(control_id, month, tenant)["exceptions.csv"]
    rows = _rows(con, f"select * from ({statement}) limit {int(shown)}")
    for row in rows:
        ids = (row["evidence_event_ids"] or "").split()
        row["evidence"] = ids[:EVIDENCE_SHOWN]
        row["more_evidence"] = len(ids) - len(row["evidence"])
    return rows


def _catalog(settings: Settings) -> dict[str, dict[str, str]]:
    with open(seed_file(settings, CATALOG), newline="") as f:
        return {row["control_id"]: row for row in csv.DictReader(f)}


def _test_models(settings: Settings, control_ids: list[str]) -> dict[str, tuple[str, str]]:
    """Per control, the model that tests it (the one of those the union stacks that names it as its
    ``control_id``) and that model's description."""
    nodes = load_manifest(prepare_manifest(settings))["nodes"]
    unioned = next(n for n in nodes.values() if n["resource_type"] == "model" and n["name"] == UNIONED)
    tested = [nodes[key] for key in unioned["depends_on"]["nodes"] if key in nodes]
    found = {}
    for control_id in control_ids:
        naming = [n for n in tested if f"'{control_id}' as control_id" in n["raw_code"]]
        if naming:
            found[control_id] = (naming[0]["name"], " ".join(naming[0]["description"].split()))
    return found


def _edges(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """The published column lineage as target (table, column) -> its source (table, column)s."""
    into = defaultdict(set)
    for source, source_column, target, target_column in con.execute(
        f"select source, source_column, target, target_column from {HEALTH}.lineage_edges where source <> ''"
    ).fetchall():
        into[(target, target_column)].add((source, source_column))
    return into


def _lineage(into: dict[tuple[str, str], set[tuple[str, str]]], model: str | None) -> Lineage:
    """The mart columns the control's results feed, then a walk up the column lineage from its test model,
    through the dbt models, to the lake tables and seeds it reads."""
    marts, unioned = defaultdict(list), set()
    for (table, column), sources in sorted(into.items()):
        found = {s for s, _ in sources if s.endswith(f".{UNIONED}")}
        if table.startswith(f"{MARTS_SCHEMA}.") and found:
            marts[table].append(column)
            unioned |= found
    if model is None:
        return Lineage(dict(marts), sorted(unioned), {})
    models, inputs, seen = sorted(unioned), defaultdict(set), set()
    frontier = deque(sorted(key for key in into if key[0].endswith(f".{model}")))
    while frontier:
        key = frontier.popleft()
        if key in seen:
            continue
        seen.add(key)
        table, column = key
        if table.split(".")[0] not in DBT_MODEL_LAYERS:
            inputs[table].add(column)
            continue
        if table not in models:
            models.append(table)
        frontier += sorted(into.get(key, ()))
    return Lineage(dict(marts), models, {t: sorted(c) for t, c in sorted(inputs.items())})
