"""The classification catalog (``lake/governance/classification``): the label and masking policy of every
bronze column, as silver applied it. Lineage, the PII guard and the quality suites read it through here."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.dataset as ds

from ingestion.contracts import CONTRACTS, contract_for
from opslake import lake
from opslake.settings import Settings
from opslake.tables import BRONZE_COLUMNS, CLASSIFICATION
from privacy.classify import ColumnClass, classify_column, declarations

CATALOG_SCHEMA = pa.schema(
    [
        ("table", pa.string()),
        ("column", pa.string()),
        ("kind", pa.string()),
        ("label", pa.string()),
        ("policy", pa.string()),
        ("source", pa.string()),
        ("entities", pa.string()),
        ("reason", pa.string()),
        ("classified_at", pa.timestamp("us", tz="UTC")),
    ]
)


def column_kinds(domain: str) -> dict[str, str]:
    """Kind of every bronze column: the contract's fields, then the columns bronze adds."""
    kinds = {f.name: f.kind for f in contract_for(domain).fields}
    return kinds | {name: kind for name, (_, _, kind, _) in BRONZE_COLUMNS.items()}


def catalog(settings: Settings, table: str | None = None) -> dict[tuple[str, str], ColumnClass]:
    """The classification catalog (latest class per column), optionally for one table."""
    filter = None if table is None else ds.field("table") == table
    rows = lake.read_table(settings.table_uri("governance", CLASSIFICATION), filter=filter)
    out: dict[tuple[str, str], ColumnClass] = {}
    for r in [] if rows is None else sorted(rows.to_pylist(), key=lambda r: r["classified_at"]):
        entities = dict((k, float(v)) for k, v in (e.split(":") for e in r["entities"].split(",") if e))
        out[(r["table"], r["column"])] = ColumnClass(
            r["table"], r["column"], r["kind"], r["label"], r["policy"], r["source"], entities, r["reason"]
        )
    return out


def record(settings: Settings, classes: list[ColumnClass]) -> None:
    """Append newly classified columns to the catalog (one Delta commit)."""
    now = dt.datetime.now(dt.UTC)
    rows = pa.Table.from_pylist([c.as_row(now) for c in classes], schema=CATALOG_SCHEMA)
    lake.append(settings.table_uri("governance", CLASSIFICATION), rows)


def column_classes(settings: Settings) -> dict[tuple[str, str], ColumnClass]:
    """The class of every bronze column: the catalog's, or (not yet classified) its declaration or kind."""
    known = catalog(settings)
    declared = declarations()
    empty = pa.array([], pa.string())
    classes = {}
    for domain in CONTRACTS:
        for column, kind in column_kinds(domain).items():
            classes[(domain, column)] = known.get((domain, column)) or classify_column(
                domain, column, kind, empty, lambda values, context: [], declared
            )
    classes.update(known)  # columns first seen in bronze (schema drift) are in the catalog only
    return classes
