"""The dashboards read the publication as the analyst role: a query through their one connection reaches no
file, so the raw lake stays out of reach even of a page that passed SQL it should not."""

from __future__ import annotations

import duckdb
import pytest

from dashboards import data
from opslake.publication import current_path


@pytest.mark.parametrize("reader", ["read_parquet", "read_csv"])
def test_the_dashboards_connection_reads_no_file(built_lake, reader):
    bronze = next((built_lake.settings.home / "lake" / "bronze" / "audit").rglob("*.parquet"))
    path = str(current_path(built_lake.settings))
    assert len(data._query(path, ("analyst", None), "select * from cost_daily limit 1", ())) == 1
    with pytest.raises(duckdb.PermissionException, match="disabled"):
        data._query(path, ("analyst", None), f"select * from {reader}('{bronze}')", ())
