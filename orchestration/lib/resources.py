"""Resources shared by every slice of the definitions."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from opslake.settings import Settings


class LakeResource(dg.ConfigurableResource):
    """Every setting of the one ``Settings`` object the entry point built, as fields (shown in the UI)."""

    home: str
    lake_root: str
    openlineage_url: str = ""

    @classmethod
    def of(cls, settings: Settings) -> LakeResource:
        return cls(
            home=str(settings.home), lake_root=settings.lake_root, openlineage_url=settings.openlineage_url
        )

    def settings(self) -> Settings:
        return Settings(Path(self.home), self.lake_root, self.openlineage_url)
