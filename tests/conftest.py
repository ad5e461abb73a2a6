"""Shared fixtures: every test gets its own OPSLAKE_HOME with a real lake in a temporary folder."""

from __future__ import annotations

import pytest

from opslake.settings import Settings


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    home = tmp_path / "home"
    monkeypatch.setenv("OPSLAKE_HOME", str(home))
    monkeypatch.delenv("OPSLAKE_LAKE_ROOT", raising=False)
    return Settings.at(home)
