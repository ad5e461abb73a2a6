"""The dbt project as Dagster sees it: asset keys are ``[schema, table]``, sources are the silver assets."""

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.lib.automation import EAGER_ALLOWING_MISSING_DAYS

REPO_ROOT = Path(__file__).resolve().parents[2]

DBT_PROJECT = DbtProject(project_dir=REPO_ROOT, profiles_dir=REPO_ROOT)
MARTS_SCHEMA = "marts"


@functools.cache
def dbt_manifest() -> dict:
    """The project's manifest (written by `dbt parse`), read once per process; callers must not change it."""
    return json.loads(DBT_PROJECT.manifest_path.read_text())


def mart_names() -> list[str]:
    """Names of the dbt models in the `marts` schema, from the manifest."""
    nodes = dbt_manifest()["nodes"].values()
    return sorted(
        n["alias"] or n["name"]
        for n in nodes
        if n["resource_type"] == "model" and n["config"].get("schema") == MARTS_SCHEMA
    )


class OpslakeTranslator(DagsterDbtTranslator):
    """Sources map onto the lake assets (``["silver", table]``); models onto ``[schema, name]``.

    Code references (each model's SQL file) are on by default.
    """

    def __init__(self, settings: DagsterDbtTranslatorSettings | None = None):
        super().__init__(settings or DagsterDbtTranslatorSettings(enable_code_references=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props["config"].get("schema") or dbt_resource_props["schema"]
        return dg.AssetKey([schema, dbt_resource_props.get("alias") or dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else "transforms"

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> dg.AutomationCondition | None:
        return EAGER_ALLOWING_MISSING_DAYS


def terminal_model_keys() -> list[dg.AssetKey]:
    """Asset keys of the dbt models no other model reads (the ends of the dbt graph), from the manifest."""
    manifest = dbt_manifest()
    nodes = manifest["nodes"]
    translator = OpslakeTranslator()
    return sorted(
        translator.get_asset_key(props)
        for uid, props in nodes.items()
        if props["resource_type"] == "model"
        and not any(
            nodes.get(c, {}).get("resource_type") == "model" for c in manifest["child_map"].get(uid, [])
        )
    )
