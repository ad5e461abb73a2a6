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
import polars as pl
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
    remasked: int = 0  # older rows masked again: their text names an identity learnt since


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
    existed = lake.open_table(silver_uri) is not None
    rebuild = existed and not (stamp.exists() and stamp.read_text() == fingerprint)
    new = (
        lake.read_table(settings.table_uri("bronze", domain))
        if rebuild
        else _new_bronze_rows(settings, domain)
    )
    report = SilverReport(domain, 0, [], [])
    if new is not None and new.num_rows:
        new = _with_contract_columns(domain, new)
        masking = _Masking(settings, domain, new, detect, mask_text)
        masked = masking.table(new)
        if rebuild:
            lake.overwrite(silver_uri, masked, partition_by=["event_date"])
        else:
            lake.append(silver_uri, masked, partition_by=["event_date"], evolve=True)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(fingerprint)
        report = SilverReport(domain, masked.num_rows, masking.fresh, masking.excluded, rebuild)
    if existed and not rebuild:
        report.remasked = _remask_mentions(settings, domain, detect, mask_text, new)
    _stamp_identities(settings, domain)
    return report


class _Masking:
    """How one domain's rows are masked in this step: column classes (classifying new columns on the way),
    the installation key, and the identities the lake knows."""

    def __init__(
        self, settings: Settings, domain: str, rows: pa.Table, detect: Detector, mask_text: TextMask
    ):
        self.classes = catalog(settings, domain)
        kinds = column_kinds(domain)
        declared = declarations()
        fresh = [
            classify_column(domain, n, kinds.get(n, "string"), rows[n].combine_chunks(), detect, declared)
            for n in rows.column_names
            if (domain, n) not in self.classes or _declaration_changed(self.classes[(domain, n)], declared)
        ]
        if fresh:
            record(settings, fresh)
            self.classes.update({(c.table, c.column): c for c in fresh})
        self.fresh = [c.column for c in fresh]
        self.domain, self.key = domain, installation_secret(settings.secret_path)
        self.id_keys = {k.split(".", 1)[1] for k, d in declared.items() if d["policy"] == "pseudonymize"}
        self.kept_keys = {k.split(".", 1)[1] for k, d in declared.items() if d["policy"] == "keep"}
        self.texts = [n for n in rows.column_names if self.classes[(domain, n)].policy == "redact_text"]
        self.known = lake_identities(settings, declared, self.key) if self.texts else None
        self.excluded = [n for n in rows.column_names if self.classes[(domain, n)].policy == "drop"]
        self.mask_text = lambda texts: mask_text(texts, self.known)

    def table(self, rows: pa.Table) -> pa.Table:
        columns = {}
        for name in rows.column_names:
            cls = self.classes[(self.domain, name)]
            if cls.policy != "drop":
                column = rows[name].combine_chunks()
                columns[name] = _apply(cls, column, self.key, self.mask_text, self.id_keys, self.kept_keys)
        return pa.table(columns)


def _remask_mentions(
    settings: Settings, domain: str, detect: Detector, mask_text: TextMask, new: pa.Table | None
) -> int:
    """Mask again the silver rows whose text mentions an identity the lake learnt since they were masked
    (a person who first acts in audit today may be named in last month's incidents); returns how many."""
    declared = declarations()
    key = installation_secret(settings.secret_path)
    stamped = _identities_stamp(settings, domain)
    if stamped is None:
        return 0
    known = lake_identities(settings, declared, key)
    learnt = [f for f in known.forms if _form_digest(key, f) not in stamped]
    bronze_uri = settings.table_uri("bronze", domain)
    texts = [
        c.column
        for (table, _), c in catalog(settings, domain).items()
        if table == domain and c.policy == "redact_text"
    ]
    present = set(lake.open_table(bronze_uri).schema().to_arrow().names)
    texts = [c for c in texts if c in present]
    if not learnt or not texts:
        return 0
    rows = pl.from_arrow(lake.read_table(bronze_uri, ["event_id", *texts]))
    mentions = pl.any_horizontal(
        pl.col(c).cast(pl.String).str.to_lowercase().str.contains_any(learnt) for c in texts
    )
    ids = rows.filter(mentions.fill_null(False)).select("event_id")
    if new is not None:  # just masked, with everything the lake knows
        ids = ids.join(pl.from_arrow(new.select(["event_id"])), on="event_id", how="anti")
    if ids.is_empty():
        return 0
    ids = ids["event_id"].to_arrow()
    old = _with_contract_columns(domain, lake.read_table(bronze_uri, filter=ds.field("event_id").isin(ids)))
    masked = _Masking(settings, domain, old, detect, mask_text).table(old)
    silver = lake.open_table(settings.table_uri("silver", domain))
    merge = silver.merge(masked, "t.event_id = s.event_id", source_alias="s", target_alias="t")
    merge.when_matched_update_all().execute()
    return masked.num_rows


def _with_contract_columns(domain: str, rows: pa.Table) -> pa.Table:
    """``rows`` with every contract field: a field added to the contract after these rows landed is null in
    them, so silver (and the models reading it) always has the contract's columns."""
    for field in contracts.contract_for(domain).arrow_schema():
        if field.name not in rows.column_names:
            rows = rows.append_column(pa.field(field.name, field.type), pa.nulls(rows.num_rows, field.type))
    return rows


def _identities_stamp(settings: Settings, domain: str) -> set[str] | None:
    """Keyed digests of the identity forms the domain's silver rows were masked with (None before the first)."""
    path = settings.masking_stamps / f"{domain}.identities"
    return set(path.read_text().split()) if path.exists() else None


def _stamp_identities(settings: Settings, domain: str) -> None:
    key = installation_secret(settings.secret_path)
    known = lake_identities(settings, declarations(), key)
    path = settings.masking_stamps / f"{domain}.identities"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(sorted(_form_digest(key, f) for f in known.forms)))


def _form_digest(key: bytes, form: str) -> str:
    """Keyed, and unlike any pseudonym: the stamp must not hold what an erasure removes from the lake."""
    return pseudonym(key, "identity form\x00" + form)


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
