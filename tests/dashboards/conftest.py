"""A home for the app's tests: a copy of the shared lake's publication and one user per role."""

from __future__ import annotations

import shutil

import pytest

from opslake import users
from opslake.settings import Settings
from tests.fixtures.apps import PASSWORD, tenants_of


@pytest.fixture(scope="module")
def home(built_lake, tmp_path_factory) -> Settings:
    """A home holding only a copy of the built lake's publication and a user of each role (the tenant viewer
    sees the first tenant)."""
    settings = Settings.at(tmp_path_factory.mktemp("app") / "home")
    shutil.copytree(built_lake.settings.published, settings.published, symlinks=True)
    users.add(settings, "viewer", "tenant_viewer", PASSWORD, sorted(tenants_of(built_lake))[0])
    users.add(settings, "analyst", "analyst", PASSWORD)
    users.add(settings, "officer", "compliance_officer", PASSWORD)
    users.add(settings, "admin", "admin", PASSWORD)
    return settings
