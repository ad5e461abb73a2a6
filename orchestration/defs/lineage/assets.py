"""The column lineage graph as a governance table, with the PII guard as its asset check."""

import dagster as dg

from lineage.build import build_graph, write_edges
from lineage.graph import EDGE_SCHEMA
from lineage.pii import find_violations
from opslake.tables import LINEAGE_EDGES
from orchestration.lib.automation import EAGER_ALLOWING_MISSING_DAYS
from orchestration.lib.dbt import terminal_model_keys
from orchestration.lib.openlineage import openlineage_run
from orchestration.lib.resources import LakeResource
from privacy.catalog import column_classes

KEY = dg.AssetKey(["governance", LINEAGE_EDGES])
CHECK = "no_personal_data_reaches_analysts"


def lineage_edges(manifest: dict, marts: list[str]) -> dg.AssetsDefinition:
    @dg.asset(
        key=KEY,
        deps=[*terminal_model_keys(manifest), *(dg.AssetKey(["gold", m]) for m in marts)],
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
        check_specs=[
            dg.AssetCheckSpec(CHECK, asset=KEY, description="The PII guard over the stored lineage.")
        ],
        automation_condition=EAGER_ALLOWING_MISSING_DAYS,
    )
    def _lineage_edges(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        settings = lake.settings()
        with openlineage_run(context, settings):
            classes = column_classes(settings)
            graph = build_graph(settings, classes=classes)
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

    return _lineage_edges
