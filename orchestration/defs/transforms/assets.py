"""Every dbt model as an asset downstream of the bronze tables it reads."""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from ingestion.contracts import CONTRACTS
from opslake.warehouse import load_silver
from orchestration.lib.dbt import DBT_PROJECT, OpslakeTranslator
from orchestration.lib.resources import LakeResource
from quality.privacy.erasure import ensure_erasure_log


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=OpslakeTranslator()
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource):
    settings = lake.settings()
    ensure_erasure_log(settings)
    load_silver(settings, list(CONTRACTS))
    yield from dbt.cli(["build"], context=context).stream()
