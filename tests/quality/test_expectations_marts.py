"""Mart suites derived from a dbt manifest, validated on a tiny DuckDB warehouse."""

from __future__ import annotations

import duckdb

from quality.suites import mart_suites
from quality.validate import check_marts

MODEL = "model.opslake.cost_monthly"


def manifest(tests: list[dict], column_meta: dict | None = None) -> dict:
    columns = {
        "tenant_id": {"data_type": "varchar", "constraints": [{"type": "not_null"}]},
        "month": {"data_type": "date"},
        "billed_cost": {"data_type": "decimal(18,2)"},
        "balance": {"data_type": "double"},
        "share": {"data_type": "double"},
        "status": {"data_type": "text"},
    }
    for name, meta in (column_meta or {}).items():
        columns[name]["meta"] = {"quality": meta}
    nodes = {
        MODEL: {
            "resource_type": "model",
            "unique_id": MODEL,
            "name": "cost_monthly",
            "alias": "cost_monthly",
            "config": {"schema": "marts", "meta": {}},
            "columns": {name: {"name": name, **c} for name, c in columns.items()},
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


GRAIN = ("unique", "tenant_id || '|' || month", {}, None)
STATUS = ("accepted_values", "status", {"values": ["ok", "late"]}, None)
SHARE = ("not_null", "case when share between 0 and 1 then true end", {}, "share is not null")


def warehouse(settings, rows: list[tuple], month_type: str = "date") -> None:
    settings.home.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute(
            f"create or replace table marts.cost_monthly (tenant_id varchar, month {month_type}, "
            "billed_cost decimal(18,2), balance double, share double, status varchar)"
        )
        if rows:
            con.executemany("insert into marts.cost_monthly values (?, ?, ?, ?, ?, ?)", rows)


def outcomes(settings, tests=(GRAIN, STATUS, SHARE), column_meta=None):
    [report] = check_marts(settings, manifest(list(tests), column_meta), ["cost_monthly"], "run")
    return report.outcomes


GOOD = [
    ("t-a", "2026-10-01", 10.5, -3.0, 0.4, "ok"),
    ("t-b", "2026-10-01", 0, 2.0, None, "late"),  # no share: the where config leaves the row out
]


def test_a_mart_that_keeps_its_declarations_passes_every_check(settings):
    warehouse(settings, GOOD)
    results = outcomes(settings)
    assert set(results) == {"schema", "nullability", "accepted_values", "range", "uniqueness", "volume"}
    assert all(o.passed for o in results.values()), {c: o.summary() for c, o in results.items()}


def test_declared_types_are_compared_by_their_duckdb_names(settings):
    warehouse(settings, GOOD, month_type="varchar")
    failed = outcomes(settings)["schema"]
    [unexpected] = failed.failures[0].observed_value["partial_unexpected_index_list"]
    assert unexpected == {"column": "month", "observed_type": "VARCHAR", "expected_type": "DATE"}
    # `text` and `varchar` are one type: status passed


def test_expression_tests_and_their_where_config_are_validated(settings):
    warehouse(settings, [*GOOD, ("t-c", "2026-10-01", 1, 0, 1.5, "ok")])  # share above 1
    failed = outcomes(settings)["nullability"]
    [failure] = failed.failures
    assert failure.observed_value["unexpected_count"] == 1 and failure.expected["where"].endswith("== 1")


def test_accepted_values_and_grain_uniqueness_fail_on_bad_rows(settings):
    warehouse(settings, [*GOOD, ("t-a", "2026-10-01", 1, 0, 0.5, "lost")])
    results = outcomes(settings)
    assert results["accepted_values"].failures[0].observed_value["partial_unexpected_list"] == ["lost"]
    assert results["uniqueness"].failures[0].observed_value["unexpected_count"] == 2  # both t-a|2026-10-01


def test_costs_must_not_be_negative_unless_the_column_opts_out(settings):
    warehouse(settings, [*GOOD, ("t-c", "2026-10-01", -26.23, 0, 0.5, "ok")])
    failed = outcomes(settings)["range"]
    assert [(r.column, r.expected) for r in failed.failures] == [("billed_cost", {"min_value": 0})]
    # `meta: {quality: {min: null}}` opts out; `balance` is no cost, count or duration: never checked
    assert "range" not in outcomes(settings, column_meta={"billed_cost": {"min": None}})
    assert "range" not in mart_suites(manifest([], {"billed_cost": {"min": None}}))[0].checks


def test_volume_compares_the_row_count_with_earlier_checks(settings):
    rows = [(f"t-{i}", "2026-10-01", 1, 0, 0.5, "ok") for i in range(40)]
    warehouse(settings, rows)
    for _ in range(3):
        assert outcomes(settings)["volume"].passed  # fewer than 3 earlier counts pass, then 40 = 40
    warehouse(settings, rows[:5])
    failed = outcomes(settings)["volume"]
    assert not failed.passed and failed.results[0].observed_value == 5
    assert failed.results[0].expected["min_value"] == 20  # median 40 - 50%
