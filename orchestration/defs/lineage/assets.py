"""The column lineage graph as a governance table, with the PII guard as its asset check."""

import dagster as dg

from lineage.build import EDGES_TABLE, build_graph, write_edges
from lineage.graph import EDGE_SCHEMA
from lineage.pii import find_violations
from lineage.steps import column_classes
from orchestration.lib.automation import EAGER_ALLOWING_MISSING_DAYS
from orchestration.lib.dbt import DBT_PROJECT, mart_names, terminal_model_keys
from orchestration.lib.openlineage import openlineage_run
from orchestration.lib.resources import LakeResource

KEY = dg.AssetKey(["governance", EDGES_TABLE])
CHECK = "no_personal_data_reaches_analysts"


@dg.asset(
    key=KEY,
    deps=[*terminal_model_keys(), *(dg.AssetKey(["gold", m]) for m in mart_names())],
    group_name="governance",
    kinds={"delta", "python"},
    description=(
        "Column lineage from landing files to dashboards: one row per edge (source table and column -> target "
        "table and column, the transformation, the step or dbt model), overwritten each build."
    ),
    metadata={
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(n, "string") for n in EDGE_SCHEMA.names]
            + [dg.TableColumn("built_at", "timestamp")]
        )
    },
    check_specs=[dg.AssetCheckSpec(CHECK, asset=KEY, description="The PII guard over the stored lineage.")],
    automation_condition=EAGER_ALLOWING_MISSING_DAYS,
)
def lineage_edges(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    settings = lake.settings()
    with openlineage_run(context, settings):
        classes = column_classes(settings)
        graph = build_graph(settings, DBT_PROJECT.project_dir, classes)
        rows = write_edges(settings, graph)
    violations = find_violations(graph, classes)
    for warning in graph.warnings:
        context.log.warning(warning)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": rows,
            "tables": len(graph.tables),
            "unknown_lineage": dg.MetadataValue.json(graph.warnings),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=CHECK,
                passed=not violations,
                metadata={"violations": dg.MetadataValue.json([str(v) for v in violations[:50]])},
            )
        ],
    )
