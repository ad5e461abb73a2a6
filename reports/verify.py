"""Verify a pack: every file's hash, the manifest's signature, then every figure re-computed from the lake at the
Delta versions the manifest records, by re-running each control's ``query.sql`` on marts built from them.

A figure that differs at the recorded versions means the pack is wrong (nothing explains it: the data is the
data it was made from). When an erasure or retention has since purged a recorded version, the figures are
re-computed at the current versions instead, and a difference is explained by the erasure or retention records
made after the pack: the pack still holds for the lake it recorded, so verify says so and does not fail. A
difference that no such record explains fails.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from opslake import lake
from opslake.settings import Settings
from opslake.tables import ERASURE_LOG, PRIVILEGED_OPERATIONS
from opslake.warehouse import LOADS, SOURCES, VersionGone
from reports import queries, signing
from reports.packs import MANIFEST, SIGNATURE, hashes
from reports.recompute import compliance_marts


@dataclass
class Verdict:
    """What verify found: a line per check, and whether the pack holds."""

    lines: list[str] = field(default_factory=list)
    holds: bool = True

    def fail(self, line: str) -> None:
        self.lines.append(line)
        self.holds = False


def verify(
    settings: Settings, pack: Path, public_key: Path, on_stage: Callable[[str], None] = lambda s: None
) -> Verdict:
    """``on_stage`` hears what the re-computation is doing (it takes seconds to minutes)."""
    verdict = Verdict()
    try:
        message = (pack / MANIFEST).read_bytes()
        manifest = json.loads(message)
        files, versions = manifest["files"], manifest["lake_versions"]
        generated_at = dt.datetime.fromisoformat(manifest["generated_at"])
        signature = base64.b64decode((pack / SIGNATURE).read_text().strip(), validate=True)
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as unreadable:
        verdict.fail(f"not a readable pack: {unreadable!r}")
        return verdict
    _check_signature(verdict, public_key, signature, message)
    _check_hashes(verdict, files, hashes(pack))
    _recompute(verdict, settings, pack, versions, generated_at, on_stage)
    return verdict


def _check_signature(verdict: Verdict, public_key: Path, signature: bytes, message: bytes) -> None:
    try:
        key = signing.load_public_key(public_key)
    except (OSError, ValueError) as unreadable:
        verdict.fail(f"signature: not checked: {public_key} is not an Ed25519 public key ({unreadable})")
        return
    if signing.signature_holds(key, signature, message):
        verdict.lines.append(f"signature: valid ({MANIFEST}, key {public_key})")
    else:
        verdict.fail(f"signature: INVALID: {MANIFEST} was not signed by the key {public_key}")


def _check_hashes(verdict: Verdict, recorded: dict[str, str], found: dict[str, str]) -> None:
    problems = [
        f"file missing: {name}"
        if name not in found
        else f"file not in the manifest: {name}"
        if name not in recorded
        else f"file differs from its recorded SHA-256: {name}"
        for name in sorted(recorded.keys() | found.keys())
        if found.get(name) != recorded.get(name)
    ]
    for problem in problems:
        verdict.fail(problem)
    if not problems:
        verdict.lines.append(f"hashes: all {len(recorded)} files as recorded")


def _recompute(
    verdict: Verdict,
    settings: Settings,
    pack: Path,
    versions: dict[str, int],
    generated_at: dt.datetime,
    on_stage: Callable[[str], None],
) -> None:
    controls = sorted(p for p in (pack / "controls").glob("*") if p.is_dir())
    try:
        with compliance_marts(settings, versions, on_stage) as con:
            verdict.lines.append(
                f"re-computed from the lake at the pack's recorded Delta versions: {_at(versions)}"
            )
            for folder, differing in _compare(con, controls, on_stage):
                if differing:
                    verdict.fail(
                        f"{folder.name}: differs ({', '.join(differing)}) at the recorded versions: the pack's "
                        "figures are not what the lake it names gives"
                    )
                else:
                    verdict.lines.append(f"{folder.name}: identical")
            return
    except VersionGone as gone:
        purged = gone
    with compliance_marts(settings, None, on_stage) as con:
        now = dict(con.execute(f"select table_name, version from {LOADS} order by 1").fetchall())
        verdict.lines.append(
            f"re-computed from the lake at the current Delta versions: {_at(now)} (the recorded {purged})"
        )
        compared = list(_compare(con, controls, on_stage))
    records = _records_since(settings, versions, generated_at)
    verdict.lines += [
        f"since the pack was generated ({generated_at.isoformat()}): {r.detail}" for r in records
    ]
    for folder, differing in compared:
        if not differing:
            verdict.lines.append(f"{folder.name}: identical at the current versions")
        elif records:
            verdict.lines.append(
                f"{folder.name}: differs ({', '.join(differing)}): explained by {'; '.join(r.name for r in records)}"
            )
        else:
            verdict.fail(
                f"{folder.name}: differs ({', '.join(differing)}) and no erasure or retention since the pack was "
                f"generated ({generated_at.isoformat()}) explains it"
            )


def _at(versions: dict[str, int]) -> str:
    return ", ".join(f"{name} {version}" for name, version in sorted(versions.items()))


def _compare(con: duckdb.DuckDBPyConnection, controls: list[Path], on_stage: Callable[[str], None]):
    """Each control's folder with the files whose re-computed rows differ from the pack's."""
    on_stage("re-running each control's query.sql")
    for folder in controls:
        sql = folder / "query.sql"
        statements = sorted(queries.parse(sql.read_text()).items()) if sql.exists() else []
        differing = [name for name, statement in statements if _differs(con, folder / name, statement)]
        yield folder, differing if statements else ["no query.sql"]


def _differs(con: duckdb.DuckDBPyConnection, csv: Path, sql: str) -> bool:
    try:
        rows = con.sql(sql).to_arrow_table()
    except duckdb.Error:
        return True
    return not csv.exists() or queries.csv_bytes(rows) != csv.read_bytes()


@dataclass(frozen=True)
class Record:
    """An erasure or retention run that changed what the compliance marts read: ``name`` identifies it (a
    subject's pseudonymous key, never the subject) and the recorded versions it purged, ``detail`` its changes."""

    at: dt.datetime
    name: str
    detail: str


def _records_since(settings: Settings, versions: dict[str, int], since: dt.datetime) -> list[Record]:
    """The erasures and retention runs after ``since`` that changed a table the compliance marts read."""
    sources = {f"{t.layer}/{t.name}" for t in SOURCES}
    found = []
    erasures = lake.read_table(settings.table_uri("governance", ERASURE_LOG))
    # each erasure appends its receipt to the erasure log, which the GDPR controls read
    for row in [] if erasures is None else erasures.to_pylist():
        if row["erased_at"] > since:
            changed = [t for t in json.loads(row["tables"]) if t["table"] in sources]
            found.append(_erasure(row, changed, versions))
    trail = lake.read_table(settings.table_uri("governance", PRIVILEGED_OPERATIONS))
    for row in [] if trail is None else trail.to_pylist():
        if row["operation"] == "retention" and row["outcome"] == "succeeded" and row["started_at"] > since:
            removed = [r for r in json.loads(row["details"]).get("removed", []) if r["table"] in sources]
            if removed:
                found.append(_retention(row["started_at"], removed, versions))
    return sorted(found, key=lambda r: r.at)


def _erasure(row: dict, changed: list[dict], versions: dict[str, int]) -> Record:
    requested = row.get("requested_at")
    name = f"erasure of subject key {row['subject_key']}" + (
        f" (requested {requested.isoformat()})" if requested else ""
    )
    name += f" on {row['erased_at'].isoformat()}" + _purged(
        {t["table"]: t["version_before"] for t in changed}, versions
    )
    counts = [f"{t['table']} {t['rows_deleted']}/{t['rows_redacted']}" for t in changed]
    return Record(
        row["erased_at"],
        name,
        f"{name}; rows deleted/redacted: {', '.join(counts) or 'none'}; receipt logged",
    )


def _retention(at: dt.datetime, removed: list[dict], versions: dict[str, int]) -> Record:
    name = f"retention run on {at.isoformat()}" + _purged({r["table"]: None for r in removed}, versions)
    counts = [f"{r['table']} {r['rows']} dated before {r['cutoff']}" for r in removed]
    return Record(at, name, f"{name}; rows deleted: {', '.join(counts)}")


def _purged(changed: dict[str, int | None], versions: dict[str, int]) -> str:
    """The pack's recorded versions a change purged (with the history of a table it changed: every earlier one)."""
    gone = [
        f"version {versions[dotted]} of {dotted}"
        for table, before in sorted(changed.items())
        if (dotted := table.replace("/", ".")) in versions and (before is None or versions[dotted] <= before)
    ]
    return f"; {', '.join(gone)} {'was' if len(gone) == 1 else 'were'} removed by it" if gone else ""
