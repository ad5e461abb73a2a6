"""The one settings object: where everything opslake writes lives.

Everything lives under ``OPSLAKE_HOME`` (default ``./.opslake``). The lake root may be a local folder or an
object-store URI (``s3://bucket/lake``), so table locations are built as URIs, never with ``os.path``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

LAYERS = ("bronze", "silver", "gold", "governance")


@dataclass(frozen=True)
class Settings:
    """Locations of landing files, Delta tables, the warehouse and reports."""

    home: Path
    lake_root: str
    openlineage_url: str = ""  # an OpenLineage HTTP endpoint (Marquez); empty: events go to files

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read ``OPSLAKE_HOME``, optional ``OPSLAKE_LAKE_ROOT`` (an URI) and ``OPSLAKE_OPENLINEAGE_URL``."""
        env = dict(os.environ if env is None else env)
        home = Path(env.get("OPSLAKE_HOME", ".opslake")).absolute()
        lake_root = env.get("OPSLAKE_LAKE_ROOT") or str(home / "lake")
        return cls(
            home=home, lake_root=lake_root.rstrip("/"), openlineage_url=env.get("OPSLAKE_OPENLINEAGE_URL", "")
        )

    @classmethod
    def at(cls, home: str | os.PathLike[str]) -> Settings:
        """Settings for a given home folder (tests, benchmarks)."""
        home = Path(home).absolute()
        return cls(home=home, lake_root=str(home / "lake"))

    @property
    def landing(self) -> Path:
        return self.home / "landing"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def openlineage_dir(self) -> Path:
        """Where OpenLineage run events are written when no ``openlineage_url`` is set."""
        return self.home / "openlineage"

    @property
    def secret_path(self) -> Path:
        """The per-installation pseudonymisation key (created on first use, mode 0600, never in the repo)."""
        return self.home / "secrets" / "pseudonym.key"

    def table_uri(self, layer: str, table: str) -> str:
        """Location of the Delta table ``lake/<layer>/<table>``."""
        if layer not in LAYERS:
            raise ValueError(f"unknown lake layer {layer!r}; expected one of {', '.join(LAYERS)}")
        return f"{self.lake_root}/{layer}/{table}"

    def landing_dir(self, domain: str) -> Path:
        return self.landing / domain

    def env(self) -> dict[str, str]:
        """Environment variables that make child processes (dbt, dagster) see these settings."""
        env = {"OPSLAKE_HOME": str(self.home), "OPSLAKE_LAKE_ROOT": self.lake_root}
        return env | ({"OPSLAKE_OPENLINEAGE_URL": self.openlineage_url} if self.openlineage_url else {})
