"""Resources: the lake location and the dbt CLI, both from the environment at launch."""

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.lib.dbt import DBT_PROJECT
from orchestration.lib.privacy import PrivacyResource
from orchestration.lib.resources import LakeResource


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "lake": LakeResource(home=dg.EnvVar("OPSLAKE_HOME")),
            "dbt": DbtCliResource(project_dir=DBT_PROJECT),
            "privacy": PrivacyResource(),
        }
    )
