"""The one settings object: where everything opslake reads and writes lives.

Each entry point (the CLI, the Dagster definitions) builds one ``Settings`` from the environment with
``Settings.from_env()`` and passes it down; nothing below an entry point reads the environment. Everything lives
under ``OPSLAKE_HOME`` (default ``<project root>/.opslake``, whatever the current folder). The lake root may be a
local folder or an object-store URI (``s3://bucket/lake``), so table locations are built as URIs, never with
``os.path``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from opslake.tables import LAYERS

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the repository: dbt project, docs, reviewed YAML
ENV_HOME, ENV_LAKE_ROOT, ENV_OPENLINEAGE_URL = "OPSLAKE_HOME", "OPSLAKE_LAKE_ROOT", "OPSLAKE_OPENLINEAGE_URL"


@dataclass(frozen=True)
class Settings:
    """Locations of landing files, Delta tables, the warehouse, dbt's and Dagster's folders, and reports."""

    home: Path
    lake_root: str
    openlineage_url: str = ""  # an OpenLineage HTTP endpoint (Marquez); empty: events go to files

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read ``OPSLAKE_HOME``, ``OPSLAKE_LAKE_ROOT`` (an URI) and ``OPSLAKE_OPENLINEAGE_URL``; entry points only."""
        env = os.environ if env is None else env
        home = Path(env.get(ENV_HOME) or PROJECT_ROOT / ".opslake").absolute()
        return cls.at(home, env.get(ENV_LAKE_ROOT, ""), env.get(ENV_OPENLINEAGE_URL, ""))

    @classmethod
    def at(cls, home: str | os.PathLike[str], lake_root: str = "", openlineage_url: str = "") -> Settings:
        """Settings for a home folder; the lake defaults to ``<home>/lake`` (the one place that rule lives)."""
        home = Path(home).absolute()
        return cls(home, (lake_root or str(home / "lake")).rstrip("/"), openlineage_url)

    @property
    def lake_folder(self) -> Path | None:
        """The lake root as a local folder (a plain path or a ``file://`` URI); None on an object store."""
        uri = urlparse(self.lake_root)
        if uri.scheme in ("", "file"):
            return Path(uri.path if uri.scheme else self.lake_root).absolute()
        return None

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def generating(self) -> Path:
        """Where the demo data set is written before it is moved to landing (no sensor sees half a file)."""
        return self.home / ".generating"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def published(self) -> Path:
        """The read-only published warehouses, and ``current``, the one readers open."""
        return self.home / "published"

    @property
    def build_stamp(self) -> Path:
        """The fingerprint of the inputs the warehouse was last built from (absent: it must be built)."""
        return self.home / "warehouse.built"

    @property
    def masking_stamps(self) -> Path:
        """Per silver table, the fingerprint of the masking policy and code its rows were masked with."""
        return self.home / "masking"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def recompute(self) -> Path:
        """The scratch home where `opslake report verify` builds marts from the lake at a pack's versions."""
        return self.home / "recompute"

    @property
    def dbt_dir(self) -> Path:
        """dbt's profile, target (manifest, run artefacts) and logs for this home."""
        return self.home / "dbt"

    @property
    def dbt_docs(self) -> Path:
        """dbt's docs site of the models (index.html, manifest.json, catalog.json) that `opslake docs` serves."""
        return self.dbt_dir / "docs"

    @property
    def dagster_home(self) -> Path:
        """The Dagster instance (run history, event log, schedules)."""
        return self.home / "dagster"

    @property
    def lineage_dir(self) -> Path:
        """Where the lineage compile of the dbt project is cached."""
        return self.home / "lineage"

    @property
    def quality_dir(self) -> Path:
        """The Great Expectations project and its Data Docs."""
        return self.home / "quality"

    @property
    def sql_history(self) -> Path:
        """The statements typed at the `opslake sql` prompt (owner-only: they may quote data)."""
        return self.home / "sql_history"

    @property
    def locks(self) -> Path:
        """Lock files of the writers that must not run at the same time."""
        return self.home / "locks"

    @property
    def openlineage_dir(self) -> Path:
        """Where OpenLineage run events are written when no ``openlineage_url`` is set."""
        return self.home / "openlineage"

    @property
    def users_file(self) -> Path:
        """The users who may sign in to the apps, with their roles and password hashes (mode 0600)."""
        return self.home / "secrets" / "users.json"

    @property
    def secret_path(self) -> Path:
        """The per-installation pseudonymisation key (created on first use, mode 0600, never in the repo)."""
        return self.home / "secrets" / "pseudonym.key"

    @property
    def signing_key_path(self) -> Path:
        """The installation's Ed25519 key that signs evidence packs (created on first use, mode 0600)."""
        return self.home / "secrets" / "report-signing.key"

    @property
    def signing_public_key_path(self) -> Path:
        """The signing key's public half, published beside the packs for whoever checks them."""
        return self.reports / "signing-key.pub"

    def table_uri(self, layer: str, table: str) -> str:
        """Location of the Delta table ``lake/<layer>/<table>``."""
        if layer not in LAYERS:
            raise ValueError(f"unknown lake layer {layer!r}; expected one of {', '.join(LAYERS)}")
        return f"{self.lake_root}/{layer}/{table}"

    def landing_dir(self, domain: str) -> Path:
        return self.landing / domain

    def env(self) -> dict[str, str]:
        """Environment variables that make a child process's entry point build these same settings."""
        env = {ENV_HOME: str(self.home), ENV_LAKE_ROOT: self.lake_root}
        return env | ({ENV_OPENLINEAGE_URL: self.openlineage_url} if self.openlineage_url else {})
