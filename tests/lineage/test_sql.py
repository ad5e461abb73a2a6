"""Column lineage of single queries: stars expand from the schema, each input gets the kind of its strongest step."""

from __future__ import annotations

import pytest

from lineage.sql import ColumnSource, SqlLineageError, query_lineage

SCHEMA = {
    "w": {
        "silver": {"audit": {"event_id": "VARCHAR", "actor_email": "VARCHAR", "mfa_used": "BOOLEAN"}},
        "staging": {"s": {"event_id": "VARCHAR", "email": "VARCHAR", "tenant_id": "VARCHAR"}},
    }
}
AUDIT = ("w", "silver", "audit")
S = ("w", "staging", "s")


def test_star_through_ctes_expands_to_every_column_of_the_table():
    found = query_lineage('with src as (select * from "w"."silver"."audit") select * from src', SCHEMA)
    assert found.columns == ["event_id", "actor_email", "mfa_used"]
    assert found.sources["actor_email"] == [ColumnSource(AUDIT, "actor_email", "identity")]


def test_each_input_gets_the_kind_of_its_strongest_step():
    sql = """
        with renamed as (
            select event_id, actor_email as email, cast(mfa_used as boolean) as is_mfa_used from w.silver.audit
        )
        select email, is_mfa_used, count(distinct event_id) as events, email || '!' as shout
        from renamed group by 1, 2
    """
    found = query_lineage(sql, SCHEMA)
    assert found.sources["email"] == [ColumnSource(AUDIT, "actor_email", "rename")]
    assert found.sources["is_mfa_used"] == [ColumnSource(AUDIT, "mfa_used", "cast")]
    assert found.sources["events"] == [ColumnSource(AUDIT, "event_id", "aggregation")]
    assert found.sources["shout"] == [ColumnSource(AUDIT, "actor_email", "expression")]


def test_unions_and_joins_keep_every_input():
    sql = """
        select a.event_id, coalesce(a.actor_email, s.email) as who from w.silver.audit as a
        join w.staging.s as s on a.event_id = s.event_id
        union all
        select event_id, email from w.staging.s
    """
    found = query_lineage(sql, SCHEMA)
    assert {(x.relation, x.column) for x in found.sources["who"]} == {(AUDIT, "actor_email"), (S, "email")}
    assert {(x.relation, x.column) for x in found.sources["event_id"]} == {
        (AUDIT, "event_id"),
        (S, "event_id"),
    }


def test_generated_rows_have_no_input_and_file_reads_are_external():
    sql = """
        select d.day, f.x from generate_series(date '2026-01-01', date '2026-01-03', interval 1 day) as d(day)
        cross join read_parquet('/lake/bronze/audit/part-0.parquet') as f
    """
    found = query_lineage(sql, SCHEMA)
    assert found.sources["day"] == []
    assert found.sources["x"] == [ColumnSource(None, "x", "identity", "/lake/bronze/audit/part-0.parquet")]


def test_what_cannot_be_resolved_is_an_error_not_a_guess():
    with pytest.raises(SqlLineageError):
        query_lineage("select tenant_id from w.staging.s where )(", SCHEMA)
    with pytest.raises(SqlLineageError, match="unexpanded"):
        query_lineage("select * from w.unknown.t", SCHEMA)


def test_a_column_named_through_the_star_of_an_unknown_table_is_that_tables_column():
    sql = "with source as (select * from w.governance.log) select cast(subject_key as varchar) as subject_key from source"
    found = query_lineage(sql, SCHEMA)
    assert found.sources["subject_key"] == [ColumnSource(("w", "governance", "log"), "subject_key", "cast")]
