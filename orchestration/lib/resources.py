"""Resources shared by every slice of the definitions."""

from __future__ import annotations

import dagster as dg

from opslake.settings import Settings


class LakeResource(dg.ConfigurableResource):
    """Where the lake lives: ``home`` is OPSLAKE_HOME; ``lake_root`` optionally an object-store URI."""

    home: str
    lake_root: str = ""

    def settings(self) -> Settings:
        env = {"OPSLAKE_HOME": self.home}
        if self.lake_root:
            env["OPSLAKE_LAKE_ROOT"] = self.lake_root
        return Settings.from_env(env)
