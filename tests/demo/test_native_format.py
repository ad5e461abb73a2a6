"""The demo data set through the native sources' adapters gives the same DORA and flow marts as in canonical form.

The shared lake is built from the canonical records; a second lake here from the same generator arguments with
``native``: pull requests and deployments as GitHub webhooks, work items as Jira webhooks, PagerDuty's incidents
as PagerDuty webhooks. Ids the sources name their own way (GitHub's pull request and deployment numbers, Jira's
issue keys) differ by construction; every other column must be equal.
"""

from __future__ import annotations

import pytest

from demo import generate
from orchestration.materialize import materialize_all
from tests.conftest import BUILT_LAKE_DATA, END, BuiltLake, home_with_manifest

pytestmark = pytest.mark.xdist_group("native_lake")  # one worker builds the native lake, not each

SOURCE_IDS = {"pr_id", "deployment_id", "work_item_id", "repository"}  # named by the sources themselves
MARTS = (
    "dora_metrics_monthly",
    "dora_deployments",
    "dora_change_lead_times",
    "flow_metrics_weekly",
    "flow_metrics_art_weekly",
    "flow_metrics_portfolio_monthly",
    "flow_predictability",
    "incident_metrics_monthly",
)


@pytest.fixture(scope="module")
def native_lake(tmp_path_factory, parsed_dbt) -> tuple[BuiltLake, dict[str, int]]:
    settings = home_with_manifest(tmp_path_factory.mktemp("native") / "home", parsed_dbt)
    counts = generate(settings.landing, native=True, **BUILT_LAKE_DATA)
    results = materialize_all(settings, checks=False, today=END)
    assert all(r.success for r in results)
    return BuiltLake(settings), counts


def test_the_native_data_set_comes_through_every_adapter(native_lake):
    lake, counts = native_lake
    assert all(counts[source] > 0 for source in ("github", "jira", "pagerduty"))
    keyed = lake.query(
        "select split_part(event_id, ':', 1) as source, count(*) from silver.delivery group by 1 "
        "union all select split_part(event_id, ':', 1), count(*) from silver.incident group by 1"
    )
    by_source = dict(keyed)
    assert by_source.get("github", 0) > 0
    assert by_source.get("jira", 0) > 0
    assert by_source.get("pagerduty", 0) > 0


@pytest.mark.parametrize("mart", MARTS)
def test_a_mart_from_native_data_equals_the_canonical_one(native_lake, built_lake, mart):
    native, _ = native_lake
    assert _rows(native, mart) == _rows(built_lake, mart)
    assert _rows(native, mart), f"{mart} is empty: the comparison would prove nothing"


def _rows(lake: BuiltLake, mart: str) -> list[tuple]:
    columns = [
        name
        for (name,) in lake.query(
            "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
            "order by ordinal_position",
            [mart],
        )
        if name not in SOURCE_IDS and not name.endswith("_ids")
    ]
    listed = ", ".join(f'"{c}"' for c in columns)
    rows = lake.query(f"select {listed} from marts.{mart}")
    return sorted((tuple(_comparable(v) for v in row) for row in rows), key=repr)


def _comparable(value: object) -> object:
    return round(value, 9) if isinstance(value, float) else value
