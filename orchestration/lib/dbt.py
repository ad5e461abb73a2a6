"""The dbt project as Dagster sees it: asset keys are ``[schema, table]``, sources are the lake assets."""

import logging
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject
from packaging.version import Version

from opslake import dbt_project
from opslake.settings import Settings
from orchestration.lib.automation import EAGER_ALLOWING_MISSING_DAYS


class _IndirectlySelectedTests(logging.Filter):
    """A build of some models runs (dbt's eager indirect selection) the relationship tests between them and models
    left as built; dbt still fails the build on them, and Dagster records each as an observation with a warning
    that tells a user nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "dbt indirect selection" not in record.getMessage()


logging.getLogger("dagster.builtin").addFilter(_IndirectlySelectedTests())


def dagster_dbt_project(settings: Settings) -> DbtProject:
    """The project with this home's profile and parsed manifest (parsed again if the project changed)."""
    dbt_project.prepare_manifest(settings)
    return DbtProject(
        project_dir=dbt_project.PROJECT_DIR,
        target_path=dbt_project.target_dir(settings),
        profiles_dir=dbt_project.write_profile(settings),
    )


class VenvDbtCliResource(DbtCliResource):
    """dbt run by the venv's own executable, so the definitions load whatever PATH holds (cron, systemd).

    On every build dagster-dbt would ask that executable its version (a 3 s ``dbt --version``) and open a dbt
    adapter in-process (3 s) that only serves column metadata opslake never fetches: the version is the venv's
    dbt-core package's (``tests/orchestration/test_definitions.py`` compares it with ``dbt --version``), and no adapter
    is opened. These two members are below dagster-dbt's documented surface.
    """

    @property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:
        return None


def dbt_resource(project: DbtProject) -> DbtCliResource:
    return VenvDbtCliResource(project_dir=project, dbt_executable=str(dbt_project.DBT_EXECUTABLE))


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


def terminal_model_keys(manifest: dict) -> list[dg.AssetKey]:
    """Asset keys of the dbt models no other model reads (the ends of the dbt graph)."""
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
