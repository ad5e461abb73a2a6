"""GDPR erasure: remove one data subject from everything under OPSLAKE_HOME, history included.

The subject is given as it appeared (an email, a user id or a name). Identities that appear with it in the
same record (an audit event's actor id, email and name) are erased with it. In every Delta table, rows that
name an identity or its pseudonym in a column are deleted and other mentions in text are replaced by
``<ERASED>``; then old file versions are vacuumed and the transaction log is cut at a fresh checkpoint, so no
earlier version (whose statistics could hold the value) survives. Landing and archived input files are
rewritten the same way. The warehouse is derived data: it is deleted, to be rebuilt from the erased lake.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable, write_deltalake

from ingestion.webhooks.journal import OPEN_SUFFIX, segments_at_rest
from opslake import dbt_project, lake, publication, warehouse
from opslake.settings import Settings
from opslake.tables import ERASURE_LOG, lake_tables
from privacy.operations import privileged
from privacy.pseudonyms import installation_secret, pseudonym

ERASED = "<ERASED>"
# Columns that hold one person's identity together: finding one value finds the others.
IDENTITY_GROUPS = (
    ("actor_id", "actor_email", "actor_name"),
    ("responder_id", "responder_email"),
    ("author_id", "author_email"),
)
ERASURE_LOG_SCHEMA = pa.schema(
    [
        ("subject_key", pa.string()),
        ("requested_at", pa.timestamp("us", tz="UTC")),
        ("erased_at", pa.timestamp("us", tz="UTC")),
        ("identities", pa.int64()),
        ("tables", pa.string()),
        ("rows_deleted", pa.int64()),
        ("rows_redacted", pa.int64()),
        ("files_rewritten", pa.int64()),
        ("files_vacuumed", pa.int64()),
    ]
)


@dataclass
class ErasureReceipt:
    subject_key: str
    requested_at: dt.datetime
    erased_at: dt.datetime
    identities: int
    tables: list[dict] = field(
        default_factory=list
    )  # table, version_before, version_after, rows deleted/redacted
    files_rewritten: list[str] = field(default_factory=list)
    files_vacuumed: int = 0

    def as_dict(self) -> dict:
        d = asdict(self)
        d["requested_at"] = self.requested_at.isoformat()
        d["erased_at"] = self.erased_at.isoformat()
        d["rows_deleted"] = sum(t["rows_deleted"] for t in self.tables)
        d["rows_redacted"] = sum(t["rows_redacted"] for t in self.tables)
        return d


def erase_subject(
    settings: Settings, subject: str, requested_at: dt.datetime | None = None
) -> ErasureReceipt:
    """Erase a subject and its linked identities; return (and log) the receipt.

    ``requested_at`` is when the data subject asked (GDPR Art. 17; the 30-day clock starts there); now if None.
    The caller holds the lake's writer lock (``lake.lake_writer``), so no run carries the subject past it.
    """
    requested_at = check_request(subject, requested_at)
    key = installation_secret(settings.secret_path)
    with privileged(settings, "erasure", {"subject_key": pseudonym(key, subject)}) as details:
        receipt = _erase(settings, subject, key, requested_at)
        details.update(receipt.as_dict())
    return receipt


def check_request(subject: str, requested_at: dt.datetime | None) -> dt.datetime:
    """When the subject asked (now if not given); a ValueError for an empty subject or a time to come, raised
    before the command waits for the lake."""
    if not subject.strip():
        raise ValueError("the subject must not be empty")
    now = dt.datetime.now(dt.UTC)
    requested_at = requested_at or now
    if requested_at.tzinfo is None or requested_at > now:
        raise ValueError("requested_at must be a past, timezone-aware time")
    return requested_at


def _erase(settings: Settings, subject: str, key: bytes, requested_at: dt.datetime) -> ErasureReceipt:
    values = linked_identities(settings, subject)
    secrets = values | {pseudonym(key, v) for v in values}
    receipt = ErasureReceipt(pseudonym(key, subject), requested_at, dt.datetime.now(dt.UTC), len(values))
    for uri in delta_tables(settings):
        change = _erase_table(uri, values, secrets)
        if change:
            receipt.files_vacuumed += change.pop("files_vacuumed")
            receipt.tables.append(change)
    with segments_at_rest(settings) as quiet:  # a running webhook receiver appends to its open segment
        for path in _input_files(settings):
            if (quiet or not path.name.endswith(OPEN_SUFFIX)) and _rewrite_file(path, values):
                receipt.files_rewritten.append(str(path.relative_to(settings.home)))
    if warehouse.discard(settings):  # derived data: rebuilt from the erased lake by the next run
        receipt.files_rewritten.append(settings.warehouse.name)
    for path in publication.withdraw(settings):  # republished by the next run
        receipt.files_rewritten.append(str(path.relative_to(settings.home)))
    _log(settings, receipt)
    return receipt


def linked_identities(settings: Settings, subject: str) -> set[str]:
    """The subject and the identities that appear with it in the same bronze record."""
    found = {subject}
    for uri in delta_tables(settings, layer="bronze"):
        names = set(DeltaTable(uri).schema().to_arrow().names)
        for group in IDENTITY_GROUPS:
            present = [c for c in group if c in names]
            if not present:
                continue
            rows = lake.read_table(uri, present)
            hits = [pc.fill_null(pc.equal(rows[c], subject), False) for c in present]
            matched = rows.filter(functools.reduce(pc.or_, hits))
            for c in present:
                found |= {v for v in matched[c].to_pylist() if v}
    return found


def delta_tables(settings: Settings, layer: str | None = None) -> list[str]:
    """The lake's Delta tables that exist (optionally of one layer), the erasure log excepted."""
    marts = dbt_project.mart_names(dbt_project.load_manifest(dbt_project.prepare_manifest(settings)))
    uris = [
        settings.table_uri(t.layer, t.name)
        for t in lake_tables(marts)
        if t.name != ERASURE_LOG and layer in (None, t.layer)
    ]
    return [uri for uri in uris if lake.open_table(uri) is not None]


def _sql(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _contains(column: str, value: str) -> str:
    return f'strpos("{column}", {_sql(value)}) > 0'  # literal, unlike LIKE, where _ and % are wildcards


def _erase_table(uri: str, values: set[str], secrets: set[str]) -> dict | None:
    """Delete the rows that hold an identity or its pseudonym; replace mentions in the remaining text.

    A table of raw bytes (the quarantine) cannot be edited safely: its rows that mention the subject go.
    """
    table = DeltaTable(uri)
    schema = pa.schema(table.schema().to_arrow())  # deltalake returns an arro3 schema
    text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    if not text:
        return None
    data = lake.read_table(uri, text)
    raw = any(pa.types.is_binary(f.type) for f in schema)
    before = table.version()
    exact = [c for c in text if pc.any(pc.is_in(data[c], value_set=pa.array(sorted(secrets)))).as_py()]
    mentioned = [c for c in text if any(pc.any(pc.match_substring(data[c], v)).as_py() for v in values)]
    deleted = redacted = 0
    if exact or (raw and mentioned):
        members = ", ".join(_sql(x) for x in sorted(secrets))
        predicate = [f'"{c}" in ({members})' for c in exact]
        if raw:
            predicate += [_contains(c, v) for c in mentioned for v in values]
        deleted = table.delete(" or ".join(predicate))["num_deleted_rows"]
    # masked text names a known identity by its pseudonym (``<PERSON:<pseudonym>>``): it becomes ``<PERSON>``
    tags = {f":{p}>": ">" for p in secrets - values}
    attributed = [c for c in text if any(pc.any(pc.match_substring(data[c], t)).as_py() for t in tags)]
    for c in [] if raw else sorted(set(mentioned) | set(attributed)):
        expression = f'"{c}"'
        for v in sorted(values, key=len, reverse=True):
            expression = f"replace({expression}, {_sql(v)}, {_sql(ERASED)})"
        for tag, plain in tags.items():
            expression = f"replace({expression}, {_sql(tag)}, {_sql(plain)})"
        predicate = " or ".join(_contains(c, v) for v in [*values, *tags])
        redacted += table.update({c: expression}, predicate=predicate)["num_updated_rows"]
    if table.version() == before:
        return None
    return {
        "table": "/".join(uri.rstrip("/").split("/")[-2:]),
        "version_before": before,
        "version_after": table.version(),
        "rows_deleted": deleted,
        "rows_redacted": redacted,
        "files_vacuumed": lake.purge_history(table),
    }


def _input_files(settings: Settings) -> list[Path]:
    return [
        p
        for folder in (settings.landing, settings.archive)
        if folder.exists()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    ]


def _rewrite_file(path: Path, values: set[str]) -> bool:
    """Replace the values in an input file (its JSON-escaped forms too), keeping gzip compression."""
    zipped = path.suffix == ".gz"
    data = gzip.decompress(path.read_bytes()) if zipped else path.read_bytes()
    original = data
    for v in sorted(values, key=len, reverse=True):
        for form in {v.encode(), orjson.dumps(v)[1:-1]}:
            data = data.replace(form, ERASED.encode())
    if data == original:
        return False
    tmp = path.with_name(path.name + ".erasing")
    tmp.write_bytes(gzip.compress(data, mtime=0) if zipped else data)
    tmp.replace(path)
    return True


def _log(settings: Settings, receipt: ErasureReceipt) -> None:
    d = receipt.as_dict()
    row = {
        "subject_key": receipt.subject_key,
        "requested_at": receipt.requested_at,
        "erased_at": receipt.erased_at,
        "identities": receipt.identities,
        "tables": orjson.dumps(receipt.tables).decode(),
        "rows_deleted": d["rows_deleted"],
        "rows_redacted": d["rows_redacted"],
        "files_rewritten": len(receipt.files_rewritten),
        "files_vacuumed": receipt.files_vacuumed,
    }
    lake.append(
        settings.table_uri("governance", ERASURE_LOG),
        pa.Table.from_pylist([row], schema=ERASURE_LOG_SCHEMA),
        evolve=True,  # logs written before `requested_at` existed gain the column
    )


def ensure_erasure_log(settings: Settings) -> None:
    """Create the (empty) erasure log if no erasure has run yet, so that compliance models can read it."""
    uri = settings.table_uri("governance", ERASURE_LOG)
    if lake.open_table(uri) is None:
        write_deltalake(uri, ERASURE_LOG_SCHEMA.empty_table())
