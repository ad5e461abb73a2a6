"""The entry point Dagster loads: the settings are read from the environment once, here, and passed down.

Each concern under ``defs/`` contributes its slice; the slices that depend on the dbt project (its models,
the marts' gold copies and checks, the lineage asset) are built from this home's parsed manifest.
"""

import dagster as dg

from opslake import dbt_project
from opslake.permissions import restrict_files
from opslake.settings import Settings
from orchestration.defs.bronze.assets import bronze_assets
from orchestration.defs.bronze.sensors import landing_sensor
from orchestration.defs.gold.assets import gold_tables
from orchestration.defs.governance.erasure_log import erasure_log
from orchestration.defs.governance.retention import retention, retention_schedule
from orchestration.defs.lineage.assets import lineage_edges
from orchestration.defs.quality.checks import quality_checks
from orchestration.defs.reports.packs import compliance_pack_job, monthly_gdpr_pack, weekly_soc2_pack
from orchestration.defs.serving.assets import published_warehouse
from orchestration.defs.silver.assets import silver_assets
from orchestration.defs.transforms.assets import dbt_models
from orchestration.defs.transforms.sensors import transforms_automation
from orchestration.lib.dbt import dagster_dbt_project, dbt_resource
from orchestration.lib.privacy import PrivacyResource
from orchestration.lib.resources import LakeResource


def build_definitions(settings: Settings) -> dg.Definitions:
    """Every asset, check, sensor, job and resource of opslake, for one settings object."""
    project = dagster_dbt_project(settings)  # the manifest, parsed again only if the project changed
    manifest = dbt_project.load_manifest(project.manifest_path)
    marts = dbt_project.mart_names(manifest)
    return dg.Definitions(
        assets=[
            *bronze_assets,
            *silver_assets,
            erasure_log,
            dbt_models(project),
            gold_tables(marts),
            lineage_edges(manifest, marts),
            published_warehouse(marts),
        ],
        asset_checks=quality_checks(manifest),
        sensors=[landing_sensor, transforms_automation],
        jobs=[retention, compliance_pack_job],
        schedules=[retention_schedule, weekly_soc2_pack, monthly_gdpr_pack],
        executor=dg.in_process_executor,  # a run's steps in its one process: the `lake` resource's lock covers all
        resources={
            "lake": LakeResource.of(settings),
            "dbt": dbt_resource(project),
            "privacy": PrivacyResource(),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    settings = Settings.from_env()
    restrict_files(settings)  # this code server's runs write the lake
    return build_definitions(settings)
