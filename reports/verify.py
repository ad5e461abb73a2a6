"""Verify a pack: every file's hash, the manifest's signature, then every figure re-computed by re-running each
control's ``query.sql`` on the current publication.

A figure that differs on the very build the pack was made from means the pack is wrong; one that differs on a
newer build is reported as such (late data, an erasure): the pack still records that build faithfully.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from opslake.publication import current, open_current
from opslake.settings import Settings
from reports import queries, signing
from reports.packs import MANIFEST, SIGNATURE, hashes


@dataclass
class Verdict:
    """What verify found: a line per check, and whether the pack holds."""

    lines: list[str] = field(default_factory=list)
    holds: bool = True

    def fail(self, line: str) -> None:
        self.lines.append(line)
        self.holds = False


def verify(settings: Settings, pack: Path, public_key: Path) -> Verdict:
    verdict = Verdict()
    try:
        message = (pack / MANIFEST).read_bytes()
        manifest = json.loads(message)
        files, build = manifest["files"], manifest["publication"]["build_id"]
        signature = base64.b64decode((pack / SIGNATURE).read_text().strip(), validate=True)
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as unreadable:
        verdict.fail(f"not a readable pack: {unreadable!r}")
        return verdict
    _check_signature(verdict, public_key, signature, message)
    _check_hashes(verdict, files, hashes(pack))
    _recompute(verdict, settings, pack, build)
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


def _recompute(verdict: Verdict, settings: Settings, pack: Path, pack_build: str) -> None:
    build = current(settings).build_id
    newer = build != pack_build
    verdict.lines.append(
        f"re-computed against the current publication, build {build}"
        + (f" (the pack was made from build {pack_build}: figures may have moved since)" if newer else "")
        + "; re-computation as of the pack's Delta versions is not yet available"
    )
    with open_current(settings) as con:
        for folder in sorted(p for p in (pack / "controls").glob("*") if p.is_dir()):
            statements = _statements(folder)
            differing = [name for name, sql in statements if _differs(con, folder / name, sql)]
            if not statements:
                differing = ["no query.sql"]
            if not differing:
                verdict.lines.append(f"{folder.name}: identical")
            elif newer:
                verdict.lines.append(
                    f"{folder.name}: differs ({', '.join(differing)}) on the newer build {build}"
                )
            else:
                verdict.fail(
                    f"{folder.name}: differs ({', '.join(differing)}) on the pack's own build {build}"
                )


def _statements(folder: Path) -> list[tuple[str, str]]:
    sql = folder / "query.sql"
    return sorted(queries.parse(sql.read_text()).items()) if sql.exists() else []


def _differs(con: duckdb.DuckDBPyConnection, csv: Path, sql: str) -> bool:
    try:
        rows = con.sql(sql).to_arrow_table()
    except duckdb.Error:
        return True
    return not csv.exists() or queries.csv_bytes(rows) != csv.read_bytes()
