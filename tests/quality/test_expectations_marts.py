"""Mart suites derived from a dbt manifest (ranges and volume only), validated on a tiny DuckDB warehouse."""

from __future__ import annotations

import duckdb
import pytest

from quality.suites import mart_suites
from quality.validate import check_marts

MODEL = "model.opslake.cost_monthly"
COLUMNS = {  # name -> (dbt data_type, DuckDB type of the warehouse table)
    "tenant_id": ("varchar", "varchar"),
    "month": ("date", "date"),
    "billed_cost": ("decimal(18,2)", "decimal(18,2)"),
    "balance": ("double", "double"),
    "share": ("double", "double"),
    "status": ("text", "varchar"),
    "cost_center": ("varchar", "varchar"),  # a cost word, but no number: never a range
    "change_count": ("integer", "integer"),
}


def manifest(
    tests: list[tuple] = (),
    column_meta: dict | None = None,
    constraints: dict | None = None,
    model_meta: dict | None = None,
) -> dict:
    columns = {name: {"name": name, "data_type": t} for name, (t, _) in COLUMNS.items()}
    for name, meta in (column_meta or {}).items():
        columns[name]["meta"] = {"quality": meta}
    for name, kinds in (constraints or {}).items():
        columns[name]["constraints"] = [{"type": k} for k in kinds]
    nodes = {
        MODEL: {
            "resource_type": "model",
            "unique_id": MODEL,
            "name": "cost_monthly",
            "alias": "cost_monthly",
            "config": {
                "schema": "marts",
                "meta": {"quality": model_meta} if model_meta else {},
                "contract": {"enforced": True},
            },
            "contract": {"enforced": True},
            "constraints": [{"type": "primary_key", "columns": ["tenant_id", "month"]}],
            "columns": columns,
        }
    }
    for i, (name, column, kwargs, where) in enumerate(tests):
        nodes[f"test.opslake.t{i}"] = {
            "resource_type": "test",
            "attached_node": MODEL,
            "test_metadata": {"name": name, "kwargs": {"column_name": column, **kwargs}},
            "config": {"where": where},
        }
    return {"nodes": nodes}


# dbt tests of the mart (dagster-dbt runs them as asset checks): none of them is a GE expectation as well
DBT_TESTS = [
    ("unique", "tenant_id || '|' || month", {}, None),
    ("not_null", "tenant_id", {}, None),
    ("not_null", "case when share between 0 and 1 then true end", {}, "share is not null"),
    ("accepted_values", "status", {"values": ["ok", "late"]}, None),
    ("relationships", "tenant_id", {"to": "ref('tenants')", "field": "tenant_id"}, None),
]
DBT_CONSTRAINTS = {"tenant_id": ["not_null", "unique"], "month": ["not_null"]}


def warehouse(settings, rows: list[tuple]) -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(f"{name} {t}" for name, (_, t) in COLUMNS.items())
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute(f"create or replace table marts.cost_monthly ({columns})")
        if rows:
            con.executemany(f"insert into marts.cost_monthly values ({', '.join('?' * len(COLUMNS))})", rows)


def outcomes(settings, column_meta=None):
    mart = manifest(DBT_TESTS, column_meta, DBT_CONSTRAINTS)
    [report] = check_marts(settings, mart, ["cost_monthly"], "run")
    return report.outcomes


GOOD = [
    ("t-a", "2026-10-01", 10.5, -3.0, 0.4, "ok", "cc-1", 3),  # balance is no cost, count or duration
    ("t-b", "2026-10-01", 0, 2.0, None, "late", None, 0),
]


def test_the_mart_suite_holds_no_expectation_that_duplicates_a_dbt_test():
    [suite] = mart_suites(manifest(DBT_TESTS, constraints=DBT_CONSTRAINTS))
    assert suite.asset == ("marts", "cost_monthly")
    assert suite.checks == ("range", "volume")
    assert [(e.check, e.type, e.column, dict(e.kwargs)) for e in suite.expectations] == [
        ("range", "ExpectColumnValuesToBeBetween", "billed_cost", {"column": "billed_cost", "min_value": 0}),
        (
            "range",
            "ExpectColumnValuesToBeBetween",
            "change_count",
            {"column": "change_count", "min_value": 0},
        ),
        (
            "volume",
            "ExpectTableRowCountToBeBetween",
            None,
            {"min_value": {"$PARAMETER": "rows_min"}, "max_value": {"$PARAMETER": "rows_max"}},
        ),
    ]
    assert all(e.when is None for e in suite.expectations)  # no `where` config becomes a row condition
    assert suite.frames() == ("rows",)  # no schema frame: dbt's contract enforces the declared types
    assert suite.columns("rows") == ["billed_cost", "change_count"]  # no expression columns


def test_a_mart_that_breaks_only_dbt_tests_passes_its_ge_checks(settings):
    # duplicated grain, a null tenant, an unaccepted status, a share out of [0, 1]: dbt's tests report them once
    bad_for_dbt = [
        *GOOD,
        ("t-a", "2026-10-01", 1, 0, 1.5, "lost", None, 1),
        (None, None, 2, 0, 0.5, "ok", None, 2),
    ]
    warehouse(settings, bad_for_dbt)
    results = outcomes(settings)
    assert set(results) == {"range", "volume"}
    assert all(o.passed for o in results.values()), {c: o.summary() for c, o in results.items()}
    assert len(results["range"].results) == 2 and results["volume"].results[0].observed_value == 4


def test_costs_and_counts_must_not_be_negative_unless_the_column_opts_out(settings):
    warehouse(settings, [*GOOD, ("t-c", "2026-10-01", -26.23, -5.0, 0.5, "ok", "cc-2", -1)])
    failed = outcomes(settings)["range"]
    assert sorted((r.column, r.expected) for r in failed.failures) == [
        ("billed_cost", {"min_value": 0}),
        ("change_count", {"min_value": 0}),
    ]
    assert [r.observed_value["unexpected_count"] for r in failed.failures] == [1, 1]
    # `meta: {quality: {min: null}}` opts out: only the count is left
    opted_out = outcomes(settings, column_meta={"billed_cost": {"min": None}})["range"]
    assert [r.column for r in opted_out.results] == ["change_count"] and not opted_out.passed
    assert [e.column for e in mart_suites(manifest([], {"billed_cost": {"min": None}}))[0].expectations] == [
        "change_count",
        None,  # volume
    ]


def test_a_declared_range_replaces_the_name_rule(settings):
    warehouse(settings, [*GOOD, ("t-c", "2026-10-01", 1, 0, 1.5, "ok", "cc-2", 0)])  # share above 1
    meta = {"share": {"min": 0, "max": 1}, "billed_cost": {"max": 100}}
    failed = outcomes(settings, column_meta=meta)["range"]
    assert [(r.column, r.expected, r.passed) for r in failed.results] == [
        ("billed_cost", {"max_value": 100}, True),  # no min any more: the meta replaces the rule
        ("share", {"min_value": 0, "max_value": 1}, False),
        ("change_count", {"min_value": 0}, True),
    ]
    assert failed.failures[0].observed_value["partial_unexpected_list"] == [1.5]
    assert (
        f"share: 1 of {len(GOOD) + 1} unexpected, e.g. [1.5]" in failed.summary()
    )  # a value, not a row position


@pytest.mark.parametrize(
    ("column_meta", "model_meta", "named"),
    [
        ({"status": {"accepted_values": ["ok", "late"]}}, None, "cost_monthly.status"),
        ({"tenant_id": {"not_null": True}}, None, "cost_monthly.tenant_id"),
        (None, {"grain": ["tenant_id", "month"]}, "cost_monthly: model meta"),
    ],
)
def test_rules_that_belong_in_dbt_tests_are_refused_in_quality_meta(column_meta, model_meta, named):
    with pytest.raises(ValueError, match=named):
        mart_suites(manifest([], column_meta, model_meta=model_meta))


def test_volume_compares_the_row_count_with_earlier_checks(settings):
    rows = [(f"t-{i}", "2026-10-01", 1, 0, 0.5, "ok", None, 1) for i in range(40)]
    warehouse(settings, rows)
    first = outcomes(settings)["volume"].results[0]
    assert first.passed and first.expected == {"min_value": 0, "max_value": None}  # no history: any count
    for _ in range(2):
        assert outcomes(settings)["volume"].passed  # fewer than 3 earlier counts pass
    passed = outcomes(settings)["volume"].results[0]  # 40, 40, 40 before: median 40, spread max(0, 20, 10)
    assert passed.passed and passed.expected == {"min_value": 20, "max_value": 60}
    warehouse(settings, rows[:5])
    failed = outcomes(settings)["volume"]
    assert not failed.passed and failed.results[0].observed_value == 5
    assert failed.results[0].expected == {"min_value": 20, "max_value": 60}


def test_a_mart_not_built_yet_is_not_validated(settings):
    warehouse(settings, GOOD)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("drop table marts.cost_monthly")
    results = outcomes(settings)
    assert all(o.results == [] for o in results.values())
