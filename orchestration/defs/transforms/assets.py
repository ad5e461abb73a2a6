"""Every dbt model as an asset downstream of the silver tables it reads.

Before dbt builds anything, the PII guard proves from the compiled project that no personal column reaches an
analyst-facing model unmasked; each model's materialisation carries its column lineage, and dbt's run results
become OpenLineage events, one run per model.
"""

import time

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from ingestion.contracts import CONTRACTS
from lineage.build import checked_graph
from lineage.graph import ALL, LineageGraph
from lineage.openlineage import emit_dbt_results
from lineage.pii import PiiLeak
from opslake.warehouse import load_silver
from orchestration.lib.dbt import DBT_PROJECT, OpslakeTranslator
from orchestration.lib.openlineage import emitter
from orchestration.lib.resources import LakeResource
from quality.privacy.erasure import ensure_erasure_log


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=OpslakeTranslator()
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource):
    settings = lake.settings()
    ensure_erasure_log(settings)
    started = time.monotonic()
    try:
        graph = checked_graph(settings, DBT_PROJECT.project_dir)
    except PiiLeak as leak:
        raise dg.Failure(description=str(leak)) from leak
    context.log.info(
        f"PII guard passed: {len(graph.edges)} lineage edges in {time.monotonic() - started:.1f} s"
    )
    loaded = load_silver(settings, list(CONTRACTS))  # only once the guard has passed: a leak touches nothing
    context.log.info(f"silver rows loaded into the warehouse: {loaded}")
    invocation = dbt.cli(["build"], context=context)
    try:
        for event in invocation.stream():
            yield _with_column_lineage(context, event, graph, invocation.manifest)
    finally:
        if invocation.target_path.joinpath("run_results.json").exists():
            results = invocation.get_artifact("run_results.json")
            emit_dbt_results(emitter(context, settings), results, invocation.manifest, graph)


def _with_column_lineage(context: dg.AssetExecutionContext, event, graph: LineageGraph, manifest: dict):
    """A model's output with ``dagster/column_lineage`` and ``dagster/column_schema`` from the lineage graph."""
    if not isinstance(event, dg.Output):
        return event
    table = ".".join(context.asset_key_for_output(event.output_name).path)
    deps = {
        column: [
            dg.TableColumnDep(asset_key=dg.AssetKey(e.source.split(".")), column_name=e.source_column)
            for e in graph.inputs(table, column)
            if e.source_column != ALL
        ]
        for column in graph.columns(table)
    }
    if not deps:
        return event
    lineage = {column: inputs for column, inputs in deps.items() if inputs}
    unique_id = getattr(event.metadata.get("unique_id"), "value", None)
    declared = manifest["nodes"].get(unique_id, {}).get("columns", {})
    schema = [
        dg.TableColumn(
            c,
            declared.get(c, {}).get("data_type") or "unknown",
            description=declared.get(c, {}).get("description") or None,
        )
        for c in deps
    ]
    return event.with_metadata(
        {
            **event.metadata,
            "dagster/column_lineage": dg.TableColumnLineage(deps_by_column=lineage),
            "dagster/column_schema": dg.TableSchema(columns=schema),
        }
    )
