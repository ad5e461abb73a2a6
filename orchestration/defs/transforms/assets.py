"""Every dbt model as an asset downstream of the lake tables it reads, built by ``build_warehouse``.

Each model's materialisation carries its column lineage, and dbt's run results become OpenLineage events, one
run per model.
"""

import contextlib
import io
import subprocess
import time
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from lineage.build import checked_graph
from lineage.graph import ALL, LineageGraph
from lineage.openlineage import emit_dbt_results
from lineage.pii import PiiLeak
from opslake import dbt_project
from opslake.settings import Settings
from opslake.warehouse import load_sources
from orchestration.lib.dbt import OpslakeTranslator
from orchestration.lib.openlineage import emitter
from orchestration.lib.resources import LakeResource

FULL_REFRESH = "opslake/full_refresh"  # run tag: rebuild incremental models whole (silver was masked anew)
DBT_STOP_SECONDS = 10  # how long an interrupted dbt may take to stop before it is killed
# run tag: this dbt project's unit tests passed in an earlier build
UNIT_TESTS_PASSED = "opslake/unit_tests_passed"


def dbt_models(project: DbtProject) -> dg.AssetsDefinition:
    @dbt_assets(
        name="dbt_models",
        manifest=project.manifest_path,
        project=project,
        dagster_dbt_translator=OpslakeTranslator(),
    )
    def _dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource):
        yield from build_warehouse(context, dbt, lake.settings())

    return _dbt_models


def build_warehouse(context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: Settings):
    """Guard, load, build: prove that no personal column of the project ``dbt`` builds reaches analysts
    unmasked (else nothing is touched), bring the warehouse's copies of the lake up to date, then ``dbt build`` the
    selected models and their tests."""
    started = time.monotonic()
    try:
        graph = checked_graph(settings, Path(dbt.project_dir))
    except PiiLeak as leak:
        raise dg.Failure(description=str(leak)) from leak
    context.log.info(
        f"PII guard passed: {len(graph.edges)} lineage edges in {time.monotonic() - started:.1f} s"
    )
    loaded = load_sources(settings)
    context.log.info(f"lake rows loaded into the warehouse: {loaded}")
    args = ["build", "--full-refresh"] if context.run.tags.get(FULL_REFRESH) == "true" else ["build"]
    if context.run.tags.get(UNIT_TESTS_PASSED) == "true":
        args += ["--exclude-resource-type", "unit_test"]
    invocation = dbt.cli(args, context=context, target_path=dbt_project.fresh_build_dir(settings))
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):  # dagster-dbt prints every dbt event
            for event in invocation.stream():
                yield _with_column_lineage(context, event, graph, invocation.manifest)
    finally:
        _end(invocation.process)
        # One entry in the run's debug log (the Dagster UI shows it), not on the terminal of `opslake run`: an
        # entry per line would cost a write to the event log each, several seconds of a build.
        context.log.debug(printed.getvalue())
        if invocation.target_path.joinpath("run_results.json").exists():
            results = invocation.get_artifact("run_results.json")
            emit_dbt_results(emitter(context, settings), results, invocation.manifest, graph)


def _end(dbt: subprocess.Popen) -> None:
    """Stop a dbt that is still running: the build was interrupted while Dagster handled one of its events, when
    dagster-dbt does not forward the interrupt, and dbt would block on its full output pipe holding the warehouse."""
    if dbt.poll() is None:
        dbt.terminate()
        try:
            dbt.wait(DBT_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            dbt.kill()
            dbt.wait()


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
