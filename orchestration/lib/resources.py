"""Resources shared by every slice of the definitions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg

from opslake.lake import WAIT_SECONDS, Writer, lake_writer
from opslake.settings import Settings


class LakeResource(dg.ConfigurableResource):
    """Every setting of the one ``Settings`` object the entry point built, as fields (shown in the UI).

    Every step of opslake writes the lake, so a run holds the lake's writer lock from its start to its end
    (steps run in the run's process: the definitions' executor is in-process): an erasure, retention or
    `opslake run` from the command line never interleaves with a run the daemon launched. A sensor only reads:
    it takes no lock.
    """

    home: str
    lake_root: str
    openlineage_url: str = ""
    wait_seconds: float = WAIT_SECONDS  # how long a run waits for another writer before it fails

    @classmethod
    def of(cls, settings: Settings) -> LakeResource:
        return cls(
            home=str(settings.home), lake_root=settings.lake_root, openlineage_url=settings.openlineage_url
        )

    def settings(self) -> Settings:
        return Settings(Path(self.home), self.lake_root, self.openlineage_url)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[LakeResource]:
        if context.run is None:  # a sensor or schedule evaluating
            yield self
            return
        log = context.log

        def on_wait(holder: Writer) -> None:
            log.info(f"waiting for {holder} to finish writing the lake (at most {self.wait_seconds:g} s)")

        with lake_writer(self.settings(), "Dagster run", self.wait_seconds, on_wait):
            yield self
