"""Serving: the warehouse readers open, published once everything of a build has succeeded."""

import dagster as dg

from opslake.dbt_project import MARTS_SCHEMA
from opslake.publication import publish
from opslake.tables import LINEAGE_EDGES
from orchestration.lib.automation import EAGER_ALLOWING_MISSING_DAYS
from orchestration.lib.resources import LakeResource


def published_warehouse(marts: list[str]) -> dg.AssetsDefinition:
    """After every mart, its gold copy and the lineage: a failed step upstream means nothing is published."""

    @dg.asset(
        key=["serving", "warehouse"],
        deps=[
            *(dg.AssetKey([MARTS_SCHEMA, m]) for m in marts),
            *(dg.AssetKey(["gold", m]) for m in marts),
            dg.AssetKey(["governance", LINEAGE_EDGES]),
        ],
        group_name="serving",
        kinds={"duckdb"},
        description=(
            "The marts and a record of the build, copied into a new read-only DuckDB file and swapped in "
            "atomically (OPSLAKE_HOME/published/current): what analysts, dashboards and reports read."
        ),
        automation_condition=EAGER_ALLOWING_MISSING_DAYS,
    )
    def _published_warehouse(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
        publication = publish(lake.settings(), context.run.run_id)
        return dg.MaterializeResult(
            metadata={
                "build_id": publication.build_id,
                "as_of": str(publication.as_of),
                "path": dg.MetadataValue.path(str(publication.path)),
                "tables": dg.MetadataValue.json(publication.tables),
                "dagster/row_count": sum(publication.tables.values()),
            }
        )

    return _published_warehouse
