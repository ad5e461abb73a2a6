"""The README's example queries for analysts run on a real publication, in the client analysts install, and
return rows: a renamed mart or column, or a literal the data does not hold, fails here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from opslake.publication import current_path
from opslake.settings import PROJECT_ROOT

SECTION = "## SQL for analysts"


def analyst_queries() -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```", section, re.S)


def test_the_section_has_a_query_for_each_audience():
    queries = analyst_queries()
    assert len(queries) == 4
    for mart in ("dora_metrics_monthly", "slo_daily", "cost_allocation_monthly", "compliance_controls"):
        assert any(f"marts.{mart}" in q for q in queries)


@pytest.mark.parametrize("query", analyst_queries(), ids=lambda q: re.search(r"from (\S+)", q)[1])
def test_each_query_returns_rows_in_python_and_the_duckdb_cli(built_lake, query):
    path = current_path(built_lake.settings)
    with duckdb.connect(str(path), read_only=True) as con:  # as the README's Python snippet opens it
        rows = con.execute(query).fetchall()
    assert rows
    cli = Path(sys.executable).with_name("duckdb")
    out = subprocess.run(
        [str(cli), "-readonly", "-csv", "-noheader", str(path), "-c", query],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(out.stdout.splitlines()) == len(rows)
