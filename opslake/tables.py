"""The registry of the lake's tables: layers, domains, the tables opslake itself keeps, bronze's own columns.

Erasure and retention iterate this registry (never a glob of local folders, which cannot see an object store).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

LAYERS = ("bronze", "silver", "gold", "governance")
DOMAINS = ("audit", "usage", "incident", "delivery", "cost")  # one contract each (ingestion.contracts)

QUARANTINE = "_quarantine"  # bronze: rejected records with their raw bytes and reasons
INGEST_LOG = "_ingest_log"  # bronze: one row per ingested file
CLASSIFICATION = "classification"  # governance: the label and masking policy of every bronze column
ERASURE_LOG = "erasure_log"  # governance: one receipt per GDPR erasure
PRIVILEGED_OPERATIONS = "privileged_operations"  # governance: opslake's own erasures and retention runs
QUALITY_RESULTS = "quality_results"  # governance: one row per evaluated expectation
LINEAGE_EDGES = "lineage_edges"  # governance: the column lineage graph
ACCESS_LOG = "access_log"  # governance: sign-ins, failed sign-ins and changes to users of the apps
GOVERNANCE_TABLES = (
    CLASSIFICATION,
    ERASURE_LOG,
    PRIVILEGED_OPERATIONS,
    QUALITY_RESULTS,
    LINEAGE_EDGES,
    ACCESS_LOG,
)

# Columns bronze adds to every contract's fields: name -> (Arrow type, nullable, kind, meaning).
BRONZE_COLUMNS: dict[str, tuple[pa.DataType, bool, str, str]] = {
    "event_date": (pa.date32(), False, "date", "UTC date of `occurred_at`; the partition column."),
    "_source_file": (pa.string(), False, "string", "Landing file the record was read from."),
    "_line": (pa.int64(), False, "integer", "Line (or row) number of the record in its landing file."),
    "_ingested_at": (
        pa.timestamp("us", tz="UTC"),
        False,
        "timestamp",
        "When the record was written to bronze.",
    ),
    "_extra": (pa.string(), True, "json", "Fields the contract does not name, as a JSON object."),
}


@dataclass(frozen=True, order=True)
class LakeTable:
    layer: str
    name: str

    def __str__(self) -> str:
        return f"{self.layer}/{self.name}"


def lake_tables(marts: Iterable[str]) -> list[LakeTable]:
    """Every table the lake can hold: bronze and silver per domain, bronze's own, gold per mart, governance."""
    tables = [LakeTable(layer, d) for layer in ("bronze", "silver") for d in DOMAINS]
    tables += [LakeTable("bronze", QUARANTINE), LakeTable("bronze", INGEST_LOG)]
    tables += [LakeTable("gold", m) for m in sorted(marts)]
    return tables + [LakeTable("governance", g) for g in GOVERNANCE_TABLES]
