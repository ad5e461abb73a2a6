"""Silver assets: the masked form of each bronze table; the classification catalog is kept on the way."""

import dagster as dg

from ingestion.contracts import CONTRACTS
from orchestration.lib.automation import EAGER_ALLOWING_MISSING_DAYS
from orchestration.lib.openlineage import openlineage_run
from orchestration.lib.privacy import PrivacyResource
from orchestration.lib.resources import LakeResource
from privacy.silver import build_silver


def silver_asset(domain: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["silver", domain],
        deps=[dg.AssetKey(["bronze", domain])],
        group_name="silver",
        kinds={"delta", "python"},
        description=f"bronze/{domain} with personal data masked by the policies of the classification catalog.",
        automation_condition=EAGER_ALLOWING_MISSING_DAYS,
    )
    def _silver(context: dg.AssetExecutionContext, lake: LakeResource, privacy: PrivacyResource):
        with openlineage_run(context, lake.settings()):
            report = build_silver(lake.settings(), domain, privacy.detector(), privacy.text_masker())
        return dg.MaterializeResult(
            metadata={
                "rows_added": report.rows,
                "newly_classified": dg.MetadataValue.json(report.classified),
                "dropped_columns": dg.MetadataValue.json(report.excluded),
            }
        )

    return _silver


silver_assets = dg.with_source_code_references([silver_asset(d) for d in CONTRACTS])
