"""OpenLineage around a Python asset's materialisation: START, then COMPLETE with column lineage, or FAIL."""

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from lineage.openlineage import Emitter, Parent
from lineage.steps import step_edges
from opslake.settings import Settings


def table_of(key: dg.AssetKey) -> str:
    """The lineage (and OpenLineage dataset) name of an asset: ``["silver", "audit"]`` -> ``silver.audit``."""
    return ".".join(key.path)


def emitter(context: dg.AssetExecutionContext, settings: Settings) -> Emitter:
    """An emitter whose events name the Dagster run they belong to."""
    return Emitter(settings, Parent(f"dagster.{context.run.job_name}", context.run.run_id))


@contextmanager
def openlineage_run(context: dg.AssetExecutionContext, settings: Settings) -> Iterator[None]:
    """Events for the step's selected assets; inputs are their upstream assets, column lineage the step's own."""
    keys = sorted(context.selected_asset_keys)
    outputs = [table_of(k) for k in keys]
    inputs = [table_of(d) for k in keys for d in context.assets_def.asset_deps.get(k, ())]
    job = outputs[0] if len(outputs) == 1 else context.op_def.name

    def lineage():  # after the step: gold's columns are the ones it published
        return [e for t in outputs for e in step_edges(settings, t)]

    with emitter(context, settings).run(job, inputs, outputs, lineage):
        yield
