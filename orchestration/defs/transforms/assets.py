"""Every dbt model as an asset downstream of the bronze tables it reads."""

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.lib.dbt import DBT_PROJECT, OpslakeTranslator
from orchestration.lib.resources import LakeResource
from quality.privacy.erasure import ensure_erasure_log


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=OpslakeTranslator()
)
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, lake: LakeResource):
    ensure_erasure_log(lake.settings())
    yield from dbt.cli(["build"], context=context).stream()
