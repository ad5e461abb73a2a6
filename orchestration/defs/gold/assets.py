"""Gold: every mart published as a Delta table at lake/gold/<mart>, for engines that read the lake, not DuckDB."""

import dagster as dg

from opslake.dbt_project import MARTS_SCHEMA
from opslake.warehouse import publish_gold
from orchestration.lib.automation import EAGER_ALLOWING_MISSING_DAYS
from orchestration.lib.openlineage import openlineage_run
from orchestration.lib.resources import LakeResource


def gold_tables(marts: list[str]) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name="gold_tables",
        specs=[
            dg.AssetSpec(
                ["gold", mart],
                deps=[dg.AssetKey([MARTS_SCHEMA, mart])],
                group_name="gold",
                kinds={"delta"},
                description=f"{MARTS_SCHEMA}.{mart} copied to the lake as a Delta table (overwritten each build).",
                automation_condition=EAGER_ALLOWING_MISSING_DAYS,
                skippable=True,
            )
            for mart in marts
        ],
        can_subset=True,
    )
    def _gold_tables(context: dg.AssetExecutionContext, lake: LakeResource):
        settings = lake.settings()
        with openlineage_run(context, settings):
            for key in context.selected_asset_keys:
                rows = publish_gold(settings, key.path[-1])
                yield dg.MaterializeResult(asset_key=key, metadata={"dagster/row_count": rows})

    return _gold_tables
