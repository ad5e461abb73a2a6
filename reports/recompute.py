"""Re-compute the compliance marts from the lake, at a pack's recorded Delta versions or at the current ones.

It happens in a scratch home (``Settings.recompute``): the sources are loaded into its own warehouse the way a
build loads them (``warehouse.load_sources``) and dbt builds only what the compliance marts need. The user's
warehouse and publication are never opened and the lake's writer lock is not taken (reading Delta at a version
is a read). The scratch warehouse is deleted afterwards; the scratch dbt target is kept, because dbt's parse
state is tied to the warehouse path and a full parse would double the time of every verify.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import duckdb

from opslake import dbt_project, lake
from opslake.settings import Settings
from opslake.warehouse import load_sources

# the compliance marts with their parents and seeds; tests are left out: a figure is re-computed, not re-tested
BUILD = [
    "build",
    "--select",
    "+compliance_controls",
    "+compliance_population",
    "+compliance_exceptions",
    "--exclude-resource-type",
    "test",
    "unit_test",
]


@contextmanager
def compliance_marts(
    settings: Settings, versions: Mapping[str, int] | None, on_stage: Callable[[str], None] = lambda s: None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to compliance marts built from the lake at ``versions`` (None: the current ones);
    ``warehouse.VersionGone`` when a version's history was purged."""
    scratch = Settings.at(settings.recompute, settings.lake_root)
    with lake.writer_lock(settings, "recompute"):  # one re-computation at a time: they share the scratch home
        _discard(scratch)
        scratch.home.mkdir(parents=True, exist_ok=True)
        try:
            on_stage("loading the lake" + (" at the recorded versions" if versions is not None else ""))
            load_sources(scratch, versions=versions)
            on_stage("building the compliance marts (dbt)")
            dbt_project.run(scratch, BUILD)
            # a pack's query.sql is run here: like an analyst's, it reaches no file and loads no extension
            config = {"enable_external_access": False}
            with duckdb.connect(str(scratch.warehouse), read_only=True, config=config) as con:
                yield con
        finally:
            _discard(scratch)


def _discard(scratch: Settings) -> None:
    for path in (scratch.warehouse, scratch.warehouse.with_name(scratch.warehouse.name + ".wal")):
        path.unlink(missing_ok=True)
