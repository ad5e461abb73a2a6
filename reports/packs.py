"""Generate a compliance evidence pack from the current publication.

Layout under ``<reports>/<framework>/<period>[-<tenant>]/``: ``controls/<control_id>/{result.csv,
population.csv, exceptions.csv, query.sql}``, ``summary.json``, ``report.html`` and ``report.pdf`` (the same for
people to read, ``reports.render``), ``manifest.json`` (every other file's SHA-256 and what the figures
were computed from) and ``manifest.sig`` (the manifest's Ed25519 signature, base64). Everything is read from one
published file, so a pack never mixes two builds; the marts are masked, so people appear only as pseudonyms.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import duckdb
import pyarrow as pa

from opslake.publication import Publication, current, open_published
from opslake.settings import Settings
from privacy.operations import privileged
from reports import contents, queries, render, signing

FRAMEWORKS = {"soc2": "SOC2", "gdpr": "GDPR"}  # the name a user types, the mart's `framework`
FORMAT = "opslake-evidence-pack/1"
MANIFEST, SIGNATURE, SUMMARY = "manifest.json", "manifest.sig", "summary.json"


class PackError(ValueError):
    """A pack cannot be made as asked (an unknown framework, a malformed or untested period)."""


@dataclass(frozen=True)
class Request:
    framework: str  # a key of FRAMEWORKS
    month: dt.date  # first day of the period
    tenant: str | None

    @classmethod
    def parse(cls, framework: str, period: str, tenant: str | None) -> Request:
        if framework not in FRAMEWORKS:
            raise PackError(f"unknown framework {framework!r}; expected one of {', '.join(FRAMEWORKS)}")
        try:
            month = dt.datetime.strptime(period, "%Y-%m").date()
        except ValueError:
            raise PackError(f"period {period!r} is not a month written YYYY-MM") from None
        return cls(framework, month, tenant)

    @property
    def period(self) -> str:
        return f"{self.month:%Y-%m}"

    def folder(self, settings: Settings) -> Path:
        name = f"{self.period}-{self.tenant}" if self.tenant else self.period
        return settings.reports / self.framework / name


def generate(settings: Settings, request: Request) -> Path:
    """Write the pack (replacing an earlier one of the same period), record it as a privileged operation, and
    return its folder."""
    publication = current(settings)
    details = {"framework": request.framework, "period": request.period, "tenant": request.tenant}
    with privileged(settings, "compliance_report", details | {"build_id": publication.build_id}) as recorded:
        folder = request.folder(settings)
        staging = folder.with_name(f".{folder.name}.partial")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            with open_published(publication.path) as con:
                summary = _write_controls(con, request, staging, publication)
                render.write(contents.gather(con, settings, summary, request.month), staging)
            _write_json(staging / SUMMARY, summary)
            _sign(settings, staging, _manifest(request, publication, staging))
            _replace(staging, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # what a failure left
        recorded.update(folder=str(folder), controls=len(summary["controls"]))
    return folder


def _write_controls(con: duckdb.DuckDBPyConnection, request: Request, root: Path, pub: Publication) -> dict:
    framework = FRAMEWORKS[request.framework]
    controls = [
        r[0] for r in con.sql(queries.controls_in(framework, request.month, request.tenant)).fetchall()
    ]
    if not controls:
        who = f" for tenant {request.tenant}" if request.tenant else ""
        raise PackError(f"the publication has no {framework} control results for {request.period}{who}")
    summaries = []
    for control_id in controls:
        folder = root / "controls" / control_id
        folder.mkdir(parents=True)
        statements = queries.control_queries(control_id, request.month, request.tenant)
        (folder / "query.sql").write_text(queries.render(statements))
        rows = {name: con.sql(sql).to_arrow_table() for name, sql in statements.items()}
        for name, table in rows.items():
            (folder / name).write_bytes(queries.csv_bytes(table))
        summaries.append(_control_summary(control_id, rows["result.csv"], rows["exceptions.csv"]))
    return {
        "framework": framework,
        "period": request.period,
        "tenant": request.tenant,
        "build_id": pub.build_id,
        "as_of": pub.as_of.isoformat() if pub.as_of else None,
        "is_partial": any(c["is_partial"] for c in summaries),
        "days_covered": min(c["days_covered"] for c in summaries),
        "days_in_period": summaries[0]["days_in_period"],
        "controls": summaries,
    }


def _control_summary(control_id: str, results: pa.Table, exceptions: pa.Table) -> dict:
    """One control's figures over the tenants in the pack: failed if any tenant failed, passed if any passed."""
    rows = results.to_pylist()
    statuses = [r["status"] for r in rows]
    status = next((s for s in ("fail", "pass") if s in statuses), "not_applicable")
    return {
        "control_id": control_id,
        "criterion": rows[0]["criterion"],
        "title": rows[0]["control_title"],
        "status": status,
        "population": sum(r["population"] for r in rows),
        "exceptions": sum(r["exceptions"] for r in rows),
        "exception_rows": exceptions.num_rows,
        "tenants": {s: statuses.count(s) for s in ("pass", "fail", "not_applicable")},
        "is_partial": any(r["is_partial"] for r in rows),
        "days_covered": min(r["days_covered"] for r in rows),
        "days_in_period": rows[0]["days_in_period"],
    }


def _manifest(request: Request, pub: Publication, root: Path) -> dict:
    return {
        "format": FORMAT,
        "product": {"name": "opslake", "version": version("opslake")},
        "framework": FRAMEWORKS[request.framework],
        "period": request.period,
        "tenant": request.tenant,
        "as_of": pub.as_of.isoformat() if pub.as_of else None,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(),
        "publication": {
            "build_id": pub.build_id,
            "file": pub.path.name,
            "built_at": pub.built_at.isoformat(),
        },
        "lake_versions": pub.lake_versions,
        "files": hashes(root),
    }


def hashes(root: Path) -> dict[str, str]:
    """SHA-256 of every file of a pack but the manifest and its signature, by path relative to the pack."""
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name not in (MANIFEST, SIGNATURE)
    }


def _sign(settings: Settings, root: Path, manifest: dict) -> None:
    message = _write_json(root / MANIFEST, manifest)
    signature = signing.signing_key(settings).sign(message)
    (root / SIGNATURE).write_text(base64.b64encode(signature).decode() + "\n")


def _write_json(path: Path, value: dict) -> bytes:
    data = (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()
    path.write_bytes(data)
    return data


def _replace(staging: Path, folder: Path) -> None:
    """Swap the new pack in; a pack is never left half-written under its own name."""
    if folder.exists():
        old = folder.with_name(f".{folder.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old)
    else:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging.rename(folder)
