"""The landing area: files waiting in ``landing/<domain>/``, ingested, then archived by content hash."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from ingestion.contracts import DOMAINS, contract_for
from ingestion.native.ingest import ADAPTERS, ingest_native, native_sources
from ingestion.pipeline import IngestReport, Progress, file_sha256, ingest
from ingestion.readers import UNREADABLE, UnsupportedFile, csv_chunks, file_format, jsonl_blocks
from ingestion.webhooks.journal import RECEIVED_AT
from opslake.permissions import owner_only
from opslake.settings import Settings

_DATE = re.compile(rb"(\d{4}-\d{2}-\d{2})")


def pending_files(settings: Settings, domain: str) -> list[Path]:
    """Files waiting for a domain: in ``landing/<domain>/`` and in the folders of the native sources whose
    payloads it stores first (``landing/pagerduty/`` for incidents)."""
    return [f for name in (domain, *native_sources(domain)) for f in _ready(settings.landing_dir(name))]


def waiting_domains(settings: Settings) -> list[str]:
    """The domains the waiting landing files write: those with files of their own, and every domain a waiting
    native source maps payloads onto (GitHub's deliveries give audit events too)."""
    written = {d for d in DOMAINS if _ready(settings.landing_dir(d))}
    for source, adapter in ADAPTERS.items():
        if _ready(settings.landing_dir(source)):
            written.update(adapter.domains)
    return [d for d in DOMAINS if d in written]


def _ready(folder: Path) -> list[Path]:
    """Files ready in a landing folder (hidden and partial ``.tmp`` files, such as a webhook receiver's open
    segment, are not ready yet)."""
    if not folder.is_dir():
        return []
    ready = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith(".") and path.suffix != ".tmp":
            try:
                file_format(path)
            except UnsupportedFile:
                continue
            ready.append(path)
    return ready


def ingest_landing(settings: Settings, domain: str, progress: Progress | None = None) -> IngestReport:
    """Ingest every waiting file of a domain and of its native sources, then move each to ``archive/``."""
    files = _ready(settings.landing_dir(domain))
    report = ingest(settings, domain, files, progress=progress)
    for path in files:
        archive(settings, domain, path)
    for source in native_sources(domain):
        if files := _ready(settings.landing_dir(source)):
            report.add(ingest_native(settings, source, files, progress=progress))
            for path in files:
                archive(settings, source, path)
    return report


def archive(settings: Settings, domain: str, path: Path) -> Path:
    """Move an ingested file to ``archive/<domain or source>/<sha256 prefix>-<name>`` (idempotent for equal content); a
    file its user copied into landing keeps their mode until here."""
    target = settings.archive / domain / f"{file_sha256(path)[:16]}-{path.name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(path, target)
    owner_only(target)
    return target


def event_date_range(domain: str, paths: list[Path]) -> tuple[dt.date, dt.date] | None:
    """Earliest and latest event date named in the files, read cheaply without validating them.

    Used to choose which daily partitions a run of the bronze asset covers; ingestion itself never
    depends on it, so an approximate answer cannot lose or misplace a record. A native source's deliveries are
    dated by when they were received (the receiver's ``received_at``), which is when their events happened to
    within the sender's retries.
    """
    contract = contract_for(domain)
    time_field = contract.field(contract.time_from or contract.time_field)
    dates: list[str] = []
    for path in paths:
        with contextlib.suppress(*UNREADABLE):  # ingestion quarantines an unreadable file; no dates here
            for name in (time_field.input_name, RECEIVED_AT):
                dates += _named_dates(path, name)
    valid = [dt.date.fromisoformat(d) for d in dates if _is_date(d)]
    return (min(valid), max(valid)) if valid else None


def _named_dates(path: Path, name: str) -> list[str]:
    """The earliest and latest dates a file names in the field ``name`` (per block, for JSON lines)."""
    dates: list[str] = []
    fmt = file_format(path)
    if fmt == "jsonl":
        pattern = re.compile(rb'"' + name.encode() + rb'"\s*:\s*"(\d{4}-\d{2}-\d{2})')
        for _, block, _ in jsonl_blocks(path):
            found = pattern.findall(block or b"")
            if found:
                dates += [min(found).decode(), max(found).decode()]
    elif fmt == "csv":
        for chunk in csv_chunks(path):
            values = [r.get(name) for r in chunk.records if r]
            dates += [v[:10] for v in values if isinstance(v, str) and _DATE.match(v.encode())]
    else:
        column = pq.read_table(path, columns=[name])[name]
        bounds = pc.min_max(column)
        dates += [str(v.as_py())[:10] for v in (bounds["min"], bounds["max"]) if v.is_valid]
    return dates


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True
