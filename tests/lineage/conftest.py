"""The repo's dbt project compiled for lineage once per session, and a copy of it with a deliberate leak."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from lineage.build import build_graph
from lineage.graph import LineageGraph
from opslake.settings import PROJECT_ROOT, Settings
from privacy.catalog import column_classes

BRONZE_SOURCE = """
sources:
  - name: bronze
    schema: bronze
    tables:
      - name: audit
"""
LEAK = "select tenant_id, actor_email, occurred_at from {{ source('bronze', 'audit') }}\n"
EXPOSURES = """
exposures:
  - name: leak_board
    type: dashboard
    owner: {name: Operations}
    depends_on: [ref('leaky_actor_emails')]
  - name: tenants_board
    type: dashboard
    owner: {name: Operations}
    depends_on: [ref('leaky_actor_emails')]
    meta: {columns: [tenant_id]}
"""
UNPARSEABLE = "select tenant_id from {{ ref('stg_silver__audit_events') }} where )(\n"


@dataclass(frozen=True)
class Compiled:
    settings: Settings
    project: Path
    graph: LineageGraph
    classes: dict


def copy_project(to: Path) -> Path:
    """The dbt project's files (not its target or logs), copied to ``to``."""
    to.mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "dbt_project.yml", to / "dbt_project.yml")
    shutil.copytree(PROJECT_ROOT / "transforms", to / "transforms")
    return to


def compiled(home: Path, project: Path) -> Compiled:
    settings = Settings.at(home)
    classes = column_classes(settings)
    return Compiled(settings, project, build_graph(settings, project, classes), classes)


@pytest.fixture(scope="session")
def real_project(tmp_path_factory) -> Compiled:
    """The repo's own project (a copy, so that models other work adds meanwhile cannot change it mid-session)."""
    root = tmp_path_factory.mktemp("real")
    return compiled(root / "home", copy_project(root / "project"))


@pytest.fixture(scope="session")
def leaking_project(tmp_path_factory) -> Compiled:
    """The project plus a `bronze` source, a mart selecting `actor_email` from it, two dashboards on that mart
    (one listing only `tenant_id`), and an unparseable mart."""
    root = tmp_path_factory.mktemp("leaking")
    project = copy_project(root / "project")
    marts = project / "transforms" / "models" / "marts" / "leak"
    marts.mkdir()
    (marts / "_bronze__sources.yml").write_text(BRONZE_SOURCE)
    (marts / "leaky_actor_emails.sql").write_text(LEAK)
    (marts / "unparseable_logins.sql").write_text(UNPARSEABLE)
    (marts / "_leak__exposures.yml").write_text(EXPOSURES)
    return compiled(root / "home", project)
