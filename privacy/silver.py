"""Silver: the masked form of every bronze table, the only form anything downstream reads.

New bronze rows (by ``_ingested_at``, past silver's high-water mark) are masked column by column with the
policy the classification catalog holds for the column. A column first seen in bronze is classified before
it is masked (schema drift); a column without a class never reaches silver. When the masking itself changed
(the reviewed classification, the masking code or the contracts), silver is rebuilt whole from bronze.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from ingestion import contracts
from opslake import lake
from opslake.settings import Settings
from privacy.catalog import catalog, column_kinds, record
from privacy.classify import POLICY_FILE, ColumnClass, Detector, classify_column, declarations
from privacy.identities import Identities, lake_identities
from privacy.pseudonyms import (
    generalize_ips,
    installation_secret,
    map_distinct,
    mask,
    pseudonym,
    pseudonymize,
)

TextMask = Callable[[list[str | None], Identities | None], list[str | None]]
# What masking depends on besides the catalog: the modules of the silver step and the Presidio engine.
MASKING_CODE = (
    "classify",
    "catalog",
    "engine",
    "recognizers",
    "text",
    "identities",
    "pseudonyms",
    "presidio",
    "silver",
)


@dataclass
class SilverReport:
    table: str
    rows: int
    classified: list[str]
    excluded: list[str]
    rebuilt: bool = False  # the masking changed: every row was masked again


def masking_fingerprint() -> str:
    """A hash of the reviewed classification, the masking code and the contracts."""
    here = Path(__file__).parent
    files = [POLICY_FILE, Path(contracts.__file__), *(here / f"{m}.py" for m in MASKING_CODE)]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\n" + path.read_bytes())
    return digest.hexdigest()


def build_silver(settings: Settings, domain: str, detect: Detector, mask_text: TextMask) -> SilverReport:
    """Append the masked form of bronze rows not yet in silver; classify columns seen for the first time.

    Holds the domain's ingestion lock, so no bronze row can commit behind silver's high-water mark.
    """
    with lake.writer_lock(settings, domain):
        return _build_silver(settings, domain, detect, mask_text)


def _build_silver(settings: Settings, domain: str, detect: Detector, mask_text: TextMask) -> SilverReport:
    silver_uri = settings.table_uri("silver", domain)
    stamp, fingerprint = settings.masking_stamps / domain, masking_fingerprint()
    rebuild = lake.open_table(silver_uri) is not None and not (
        stamp.exists() and stamp.read_text() == fingerprint
    )
    new = (
        lake.read_table(settings.table_uri("bronze", domain))
        if rebuild
        else _new_bronze_rows(settings, domain)
    )
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
        record(settings, fresh)
        classes.update({(c.table, c.column): c for c in fresh})
    key = installation_secret(settings.secret_path)
    id_keys = {k.split(".", 1)[1] for k, d in declared.items() if d["policy"] == "pseudonymize"}
    kept_keys = {k.split(".", 1)[1] for k, d in declared.items() if d["policy"] == "keep"}
    redacting = any(classes[(domain, name)].policy == "redact_text" for name in new.column_names)
    known = lake_identities(settings, declared, key) if redacting else None
    columns, excluded = {}, []
    for name in new.column_names:
        cls = classes[(domain, name)]
        if cls.policy == "drop":
            excluded.append(name)
            continue
        column = new[name].combine_chunks()
        columns[name] = _apply(cls, column, key, lambda texts: mask_text(texts, known), id_keys, kept_keys)
    masked = pa.table(columns)
    if rebuild:
        lake.overwrite(silver_uri, masked, partition_by=["event_date"])
    else:
        lake.append(silver_uri, masked, partition_by=["event_date"], evolve=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint)
    return SilverReport(domain, masked.num_rows, [c.column for c in fresh], excluded, rebuild)


def _declaration_changed(cls: ColumnClass, declared: dict[str, dict]) -> bool:
    """A reviewed declaration edited since the column was classified applies from the next rows on."""
    decl = declared.get(f"{cls.table}.{cls.column}") or declared.get(f"*.{cls.column}")
    if decl is None:
        return cls.source == "declared"
    return (decl["label"], decl["policy"]) != (cls.label, cls.policy)


def _new_bronze_rows(settings: Settings, domain: str) -> pa.Table | None:
    mark = lake.read_table(settings.table_uri("silver", domain), ["_ingested_at"])
    filter = None
    if mark is not None and mark.num_rows:
        filter = ds.field("_ingested_at") > pc.max(mark["_ingested_at"]).as_py()
    return lake.read_table(settings.table_uri("bronze", domain), filter=filter)


def _apply(
    cls: ColumnClass,
    column: pa.Array,
    key: bytes,
    mask_text: Callable[[list[str | None]], list[str | None]],
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
    column: pa.Array,
    key: bytes,
    mask_text: Callable[[list[str | None]], list[str | None]],
    id_keys: set[str],
    kept_keys: set[str],
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
