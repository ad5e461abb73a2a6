"""Silver: the masked form of every bronze table, the only form anything downstream reads.

New bronze rows (by ``_ingested_at``, past silver's high-water mark) are masked column by column with the
policy the classification catalog holds for the column. A column first seen in bronze is classified before
it is masked (schema drift); a column without a class never reaches silver.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from ingestion import lake
from ingestion.contracts import contract_for
from ingestion.pipeline import domain_lock
from opslake.settings import Settings
from quality.privacy.classify import ColumnClass, Detector, classify_column, declarations
from quality.privacy.pseudonyms import (
    generalize_ips,
    installation_secret,
    map_distinct,
    mask,
    pseudonym,
    pseudonymize,
)

CATALOG = "classification"
TextMask = Callable[[list[str | None]], list[str | None]]

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


@dataclass
class SilverReport:
    table: str
    rows: int
    classified: list[str]
    excluded: list[str]


def column_kinds(domain: str) -> dict[str, str]:
    """Kind of every bronze column: contract fields, then the partition and lineage columns."""
    kinds = {f.name: f.kind for f in contract_for(domain).fields}
    kinds.update(
        event_date="date", _source_file="string", _line="integer", _ingested_at="timestamp", _extra="json"
    )
    return kinds


def catalog(settings: Settings, table: str | None = None) -> dict[tuple[str, str], ColumnClass]:
    """The classification catalog (latest class per column), optionally for one table."""
    filter = None if table is None else ds.field("table") == table
    rows = lake.read_table(settings.table_uri("governance", CATALOG), filter=filter)
    out: dict[tuple[str, str], ColumnClass] = {}
    for r in [] if rows is None else sorted(rows.to_pylist(), key=lambda r: r["classified_at"]):
        entities = dict((k, float(v)) for k, v in (e.split(":") for e in r["entities"].split(",") if e))
        out[(r["table"], r["column"])] = ColumnClass(
            r["table"], r["column"], r["kind"], r["label"], r["policy"], r["source"], entities, r["reason"]
        )
    return out


def build_silver(settings: Settings, domain: str, detect: Detector, mask_text: TextMask) -> SilverReport:
    """Append the masked form of bronze rows not yet in silver; classify columns seen for the first time.

    Holds the domain's ingestion lock, so no bronze row can commit behind silver's high-water mark.
    """
    with domain_lock(settings, domain):
        return _build_silver(settings, domain, detect, mask_text)


def _build_silver(settings: Settings, domain: str, detect: Detector, mask_text: TextMask) -> SilverReport:
    silver_uri = settings.table_uri("silver", domain)
    new = _new_bronze_rows(settings, domain, silver_uri)
    if new is None or new.num_rows == 0:
        return SilverReport(domain, 0, [], [])
    classes = catalog(settings, domain)
    kinds = column_kinds(domain)
    declared = declarations()
    fresh = [
        classify_column(domain, name, kinds.get(name, "string"), new[name].combine_chunks(), detect, declared)
        for name in new.column_names
        if (domain, name) not in classes or _declaration_changed(classes[(domain, name)], declared)
    ]
    if fresh:
        now = dt.datetime.now(dt.UTC)
        rows = pa.Table.from_pylist([c.as_row(now) for c in fresh], schema=CATALOG_SCHEMA)
        lake.append(settings.table_uri("governance", CATALOG), rows)
        classes.update({(c.table, c.column): c for c in fresh})
    key = installation_secret(settings.secret_path)
    id_keys = {k.split(".", 1)[1] for k, d in declared.items() if d["policy"] == "pseudonymize"}
    kept_keys = {k.split(".", 1)[1] for k, d in declared.items() if d["policy"] == "keep"}
    columns, excluded = {}, []
    for name in new.column_names:
        cls = classes[(domain, name)]
        if cls.policy == "drop":
            excluded.append(name)
            continue
        columns[name] = _apply(cls, new[name].combine_chunks(), key, mask_text, id_keys, kept_keys)
    masked = pa.table(columns)
    lake.append(silver_uri, masked, partition_by=["event_date"], evolve=True)
    return SilverReport(domain, masked.num_rows, [c.column for c in fresh], excluded)


def _declaration_changed(cls: ColumnClass, declared: dict[str, dict]) -> bool:
    """A reviewed declaration edited since the column was classified applies from the next rows on."""
    decl = declared.get(f"{cls.table}.{cls.column}") or declared.get(f"*.{cls.column}")
    if decl is None:
        return cls.source == "declared"
    return (decl["label"], decl["policy"]) != (cls.label, cls.policy)


def _new_bronze_rows(settings: Settings, domain: str, silver_uri: str) -> pa.Table | None:
    mark = lake.read_table(silver_uri, ["_ingested_at"])
    filter = None
    if mark is not None and mark.num_rows:
        filter = ds.field("_ingested_at") > pc.max(mark["_ingested_at"]).as_py()
    return lake.read_table(settings.table_uri("bronze", domain), filter=filter)


def _apply(
    cls: ColumnClass,
    column: pa.Array,
    key: bytes,
    mask_text: TextMask,
    id_keys: set[str],
    kept_keys: set[str],
) -> pa.Array:
    if cls.policy == "keep":
        return column
    if cls.policy == "pseudonymize":
        return pseudonymize(column, key)
    if cls.policy == "generalize":
        return generalize_ips(column)
    if cls.policy == "mask":
        return mask(column, f"<{max(cls.entities, key=cls.entities.get, default='REDACTED')}>")
    if cls.policy == "redact_text":
        if cls.kind == "json":
            return _redact_json(column, key, mask_text, id_keys, kept_keys)
        return map_distinct(column, mask_text)
    raise ValueError(f"{cls.table}.{cls.column}: unknown policy {cls.policy!r}")


def _redact_json(
    column: pa.Array, key: bytes, mask_text: TextMask, id_keys: set[str], kept_keys: set[str]
) -> pa.Array:
    """Mask the string leaves of JSON values; values under declared identifier keys become pseudonyms, values
    under keys declared `keep` (commit shas, timestamps) stay as they are."""

    def redact_all(values: list[str]) -> list[str]:
        parsed = [orjson.loads(v) for v in values]
        leaves: list[str] = []
        for value in parsed:
            _walk(value, lambda k, s: leaves.append(s) if k not in id_keys | kept_keys else None)
        masked = dict(zip(leaves, mask_text(leaves), strict=True))

        def rebuild(value, parent_key=None):
            if isinstance(value, dict):
                return {k: rebuild(v, k) for k, v in value.items()}
            if isinstance(value, list):
                return [rebuild(v, parent_key) for v in value]
            if isinstance(value, str):
                if parent_key in kept_keys:
                    return value
                return pseudonym(key, value) if parent_key in id_keys else masked[value]
            return value

        return [orjson.dumps(rebuild(v), option=orjson.OPT_SORT_KEYS).decode() for v in parsed]

    return map_distinct(column, redact_all)


def _walk(value, visit, parent_key=None) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _walk(v, visit, k)
    elif isinstance(value, list):
        for v in value:
            _walk(v, visit, parent_key)
    elif isinstance(value, str):
        visit(parent_key, value)
