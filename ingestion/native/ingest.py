"""Ingest files of native payloads: each payload mapped by its source's adapter, then stored like canonical events.

A file is JSON lines or one JSON array of payloads (bare, or in the receiver's wrapper). An adapter maps a payload
to one outcome or several (a Jira changelog holds many changes); each outcome counts once in ``read`` and ends as
exactly one of accepted, duplicate, quarantined (with the adapter's or the contract's reason, the payload's raw
bytes kept) or ``ignored:<kind>``, so ``read == accepted + duplicates + quarantined + sum(ignored)``. A payload
that yields no record is one outcome (ignored or quarantined), never none. Exactly-once holds as for canonical
events, on the event ids the adapters derive from the sources' delivery, event or change ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from ingestion.contracts import contract_for
from ingestion.native import github, jira, pagerduty
from ingestion.native.outcomes import Delivery, Outcome, quarantined
from ingestion.pipeline import BronzeWriter, IngestReport, Progress, file_sha256, input_files
from ingestion.readers import UNREADABLE, jsonl_blocks, parse_jsonl_block
from ingestion.validate import Parsed, validate
from opslake import lake
from opslake.settings import Settings


@dataclass(frozen=True)
class Adapter:
    domains: tuple[str, ...]  # the first takes what cannot be read or mapped
    adapt: Callable[[Delivery], list[Outcome]]  # at least one outcome per payload


ADAPTERS = {
    "pagerduty": Adapter((pagerduty.DOMAIN,), pagerduty.adapt),
    "jira": Adapter((jira.DOMAIN,), jira.adapt),
    "github": Adapter(github.DOMAINS, github.adapt),
}


def native_sources(domain: str) -> list[str]:
    """The sources whose payloads land first in ``domain`` (its bronze step ingests their landing folders)."""
    return [name for name, adapter in ADAPTERS.items() if adapter.domains[0] == domain]


def ingest_native(
    settings: Settings, source: str, paths: list[Path], progress: Progress | None = None
) -> IngestReport:
    """Map and ingest files of ``source``'s payloads; see the module docstring for the guarantees."""
    adapter = ADAPTERS[source]
    files, report = input_files(paths)
    with ExitStack() as locks:
        for domain in adapter.domains:
            locks.enter_context(lake.writer_lock(settings, domain))
        writers = {d: BronzeWriter(settings, contract_for(d)) for d in adapter.domains}
        for path in files:
            report.add(_ingest_file(adapter, writers, path, progress))
        for writer in writers.values():
            writer.flush()
    return report


def _ingest_file(
    adapter: Adapter, writers: dict[str, BronzeWriter], path: Path, progress: Progress | None
) -> IngestReport:
    started, sha = dt.datetime.now(dt.UTC), file_sha256(path)
    for writer in writers.values():
        writer.begin_file(path, sha)
    ignored = IngestReport()
    try:
        for first_line, block, error in jsonl_blocks(path):
            native = (
                parse_jsonl_block(first_line, block)
                if block
                else Parsed([first_line], [b""], [None], [error])
            )
            by_domain: dict[str, Parsed] = {}
            for line, raw, record, reason in zip(
                native.lines, native.raws, native.records, native.reasons, strict=True
            ):
                for outcome in _adapt(adapter, record, reason):
                    if outcome.ignored:
                        ignored.read += 1
                        ignored.ignored[f"ignored:{outcome.ignored}"] += 1
                        continue
                    parsed = by_domain.setdefault(outcome.domain, Parsed([], [], [], []))
                    parsed.lines.append(line)
                    parsed.raws.append(raw)
                    parsed.records.append(outcome.record)
                    parsed.reasons.append(outcome.reason)
            for domain, parsed in by_domain.items():
                writers[domain].add(validate(contract_for(domain), parsed), parsed)
            if progress:
                progress(len(block or b""))
    except UNREADABLE as exc:
        writers[adapter.domains[0]].unreadable(path, exc)
    size = path.stat().st_size
    for domain, writer in writers.items():
        if writer.report.read or domain == adapter.domains[0]:  # the ingest log names each file at least once
            ignored.add(writer.end_file(size, started))
    return ignored


def _adapt(adapter: Adapter, record: dict | None, reason: str | None) -> list[Outcome]:
    if record is None:
        return [quarantined(adapter.domains[0], reason or "not_an_object")]
    return adapter.adapt(Delivery.of(record))
