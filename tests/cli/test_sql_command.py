"""`opslake sql`: results on stdout in four formats, a time limit, errors that name their cause and the next
step, and a prompt (or piped statements) when no query is given."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import stat
import sys
import time
from decimal import Decimal

import duckdb
import pexpect
import pyarrow.parquet as pq
import pytest

from opslake.publication import publish
from opslake.settings import Settings
from opslake.warehouse import LOADS
from tests.fixtures.cli import opslake

DAYS = 120  # rows of cost_daily: more than the 50 the table format shows
WIDE = 12  # columns of `wide`, each value 30 characters: too many for a 100-column terminal
FIRST_DAY = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def published(module_lake) -> Settings:
    """A small published warehouse: a decimal mart, one with list and timestamp columns, and a wide one."""
    settings = module_lake.settings
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.cost_daily as select ?::date + range::int as day, 'checkout' as service, "
            "(range + 0.1234)::decimal(18, 4) as cost from range(?)",
            [FIRST_DAY, DAYS],
        )
        con.execute(
            "create table marts.compliance_exceptions as select 'mfa' as control, "
            "['t-1', 't-2'] as tenants, timestamptz '2026-03-04 05:06:07+00' as detected_at"
        )
        columns = ", ".join(f"repeat('{i % 10}', 30) as col_{i:02}" for i in range(WIDE))
        con.execute(f"create table marts.wide as select {columns}")
        con.execute("create schema silver")  # what publishing reads beside the marts: event times, loads
        con.execute("create table silver.audit as select timestamptz '2026-03-05 00:00:00+00' as occurred_at")
        con.execute(f"create table {LOADS} (table_name varchar, version bigint)")
        con.execute(f"insert into {LOADS} values ('silver.audit', 1)")
    publish(settings, "build-1")
    return settings


def sql(settings: Settings, *args: str, input: str | None = None):
    return opslake(settings, "sql", *args, input=input)


def test_the_table_goes_to_stdout_and_says_what_it_left_out(published, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    out = sql(published, "select day, cost from cost_daily order by day")
    assert out.returncode == 0, out.stderr
    assert "day" in out.stdout and "cost" in out.stdout
    shown = [line for line in out.stdout.splitlines() if "2026-" in line]
    assert len(shown) == 50
    assert "2026-01-01" in shown[0] and "0.1234" in shown[0]
    assert "2026-02-19" in shown[-1] and "2026-02-20" not in out.stdout  # day 50 is the last shown
    assert "showing 50 of 120 rows; use --max-rows or --format csv" in out.stderr


def test_json_keeps_numbers_lists_and_dates(published):
    out = sql(
        published, "select * from cost_daily join compliance_exceptions on true limit 2", "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line, parse_float=Decimal) for line in out.stdout.splitlines()]
    assert rows[1] == {
        "day": "2026-01-02",
        "service": "checkout",
        "cost": Decimal("1.1234"),  # a number in the JSON, every digit kept
        "control": "mfa",
        "tenants": ["t-1", "t-2"],
        "detected_at": dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC).isoformat(),
    }
    assert '"cost": 1.1234' in out.stdout.splitlines()[1]


def test_csv_writes_a_list_as_a_json_array_in_its_cell(published):
    out = sql(published, "select * from compliance_exceptions", "--format", "csv")
    assert out.returncode == 0, out.stderr
    (row,) = list(csv.DictReader(io.StringIO(out.stdout)))
    assert json.loads(row["tenants"]) == ["t-1", "t-2"] and row["control"] == "mfa"


def test_parquet_goes_to_a_file_never_a_terminal(published, tmp_path):
    target = tmp_path / "cost.parquet"
    query = "select day, cost from cost_daily"
    assert sql(published, query, "--format", "parquet", "--output", str(target)).returncode == 0
    from_file = pq.read_table(target).to_pylist()
    assert len(from_file) == DAYS and from_file[3] == {"day": dt.date(2026, 1, 4), "cost": Decimal("3.1234")}
    terminal = pexpect.spawn(
        sys.executable,
        ["-m", "cli", "sql", query, "--format", "parquet"],
        env={**os.environ, **published.env()},
    )
    terminal.expect("Parquet is binary and stdout is a terminal", timeout=60)
    terminal.expect("--output FILE")
    terminal.expect(pexpect.EOF)


def test_parquet_on_stdout_is_the_result(published):
    import subprocess

    out = subprocess.run(
        [sys.executable, "-m", "cli", "sql", "select service, cost from cost_daily", "--format", "parquet"],
        capture_output=True,
        env={**os.environ, **published.env()},
    )
    assert out.returncode == 0, out.stderr
    rows = pq.read_table(io.BytesIO(out.stdout)).to_pylist()
    assert rows[-1] == {"service": "checkout", "cost": Decimal(DAYS - 1) + Decimal("0.1234")}


def test_a_wide_result_is_printed_one_block_per_row_unless_columns_are_chosen(published, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    out = sql(published, "select * from wide")
    assert out.returncode == 0, out.stderr
    for i in range(WIDE):
        assert f"col_{i:02} | {str(i % 10) * 30}" in out.stdout.splitlines()  # every value whole
    chosen = sql(published, "select * from wide", "--columns", "col_00,col_11")
    header = next(line for line in chosen.stdout.splitlines() if "col_00" in line)
    assert "col_11" in header and "|" not in header.replace("│", "")  # a table again, not blocks
    unknown = sql(published, "select * from wide", "--columns", "nope")
    assert unknown.returncode == 2 and "the result has no column nope" in unknown.stderr


def test_a_runaway_query_is_stopped_at_the_time_limit(published):
    started = time.monotonic()
    out = sql(published, "select count(*) from range(1000000000) a, range(1000000) b", "--timeout", "1")
    assert out.returncode == 2
    assert "the query ran longer than 1 s and was stopped" in out.stderr and "--timeout" in out.stderr
    assert time.monotonic() - started < 60  # the cross join alone would run for hours
    assert "Traceback" not in out.stderr


def test_an_unknown_table_lists_the_tables_the_analyst_can_read(published):
    out = sql(published, "select * from cost_monthly")
    assert out.returncode == 2 and "there is no table cost_monthly" in out.stderr
    listed = out.stderr.split("the tables you can read:")[1]
    for name in ("compliance_exceptions", "cost_daily", "wide", "health.freshness", "opslake.publication"):
        assert name in listed
    assert "pg_enum" not in out.stderr  # DuckDB's guess from its catalog is no help


@pytest.mark.parametrize(
    "statement",
    [
        "select * from read_csv('/etc/passwd')",
        "attach '/tmp/other.duckdb' as other",
        "set threads = 1",
        "install httpfs",
        "copy cost_daily to '/tmp/cost.csv'",
        "create table marts.mine as select 1",
    ],
)
def test_what_the_analyst_role_refuses_is_said(published, statement):
    out = sql(published, statement)
    assert out.returncode == 2
    assert "refused:" in out.stderr
    assert "the analyst role reads the published marts only" in out.stderr
    assert "Traceback" not in out.stderr


def test_the_raw_lake_under_the_home_is_refused_like_any_file(published):
    bronze = published.home / "lake" / "bronze" / "audit" / "part-0.parquet"
    bronze.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as con:
        con.execute(f"copy (select 'jane@acme.example' as actor_email) to '{bronze}'")
    out = sql(published, f"select * from read_parquet('{bronze}')")
    assert out.returncode == 2
    assert "the analyst role reads the published marts only" in out.stderr
    assert "jane@acme.example" not in out.stdout + out.stderr


def test_a_syntax_error_shows_where(published):
    out = sql(published, "selec day from cost_daily")
    assert out.returncode == 2
    assert 'syntax error at or near "selec"' in out.stderr
    assert "LINE 1: selec day from cost_daily" in out.stderr and "^^^^^" in out.stderr
    assert "correct the statement where the ^ marks" in out.stderr


def test_nothing_published_says_to_run_a_build(settings):
    out = sql(settings, "select 1")
    assert out.returncode == 2
    assert "nothing has been published yet" in out.stderr and "run `opslake run`" in out.stderr


def test_statements_piped_to_stdin_run_one_by_one_past_an_error(published):
    piped = "select 1 as a;\nselect\n  2 as b;\nselect * from nope;\nselect 3 as c\n"
    out = sql(published, "--format", "json", input=piped)
    assert [json.loads(line) for line in out.stdout.splitlines()] == [{"a": 1}, {"b": 2}, {"c": 3}]
    assert "there is no table nope" in out.stderr
    assert out.returncode == 1  # one statement failed


def test_a_semicolon_in_a_string_or_comment_does_not_end_the_statement(published):
    piped = "select 'a;\nb' as s; -- first\nselect /* ; */ 'it''s;' as t\n;\n"
    out = sql(published, "--format", "json", input=piped)
    assert out.returncode == 0, out.stderr
    assert [json.loads(line) for line in out.stdout.splitlines()] == [{"s": "a;\nb"}, {"t": "it's;"}]


def test_describe_shows_each_column_s_meaning(published):
    from opslake.publication import current_path

    with duckdb.connect(str(current_path(published)), read_only=True) as con:
        expected = con.execute(
            "select column_name, data_type, comment from duckdb_columns() "
            "where schema_name = 'marts' and table_name = 'cost_daily' order by column_index"
        ).fetchall()
    out = sql(published, "--format", "json", input="describe cost_daily;\nDESCRIBE marts.cost_daily;\n")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(r["column"], r["type"], r["meaning"]) for r in rows] == expected * 2
    assert any(meaning for _, _, meaning in expected)  # the publication commented the real mart's columns
    unknown = sql(published, input="describe nope;\n")
    assert unknown.returncode == 1 and "there is no table nope" in unknown.stderr


def test_the_prompt_runs_statements_lists_tables_and_keeps_a_history(published):
    published.sql_history.unlink(missing_ok=True)
    env = {**os.environ, **published.env(), "PROMPT_TOOLKIT_NO_CPR": "1", "COLUMNS": "100"}
    prompt = pexpect.spawn(sys.executable, ["-m", "cli", "sql"], env=env, encoding="utf-8", timeout=60)
    prompt.expect("sql>")
    prompt.sendline("select 41 + 1")  # no `;` yet: the statement goes on
    prompt.expect("->")
    prompt.sendline("as answer;")
    prompt.expect("answer")
    prompt.expect("42")
    prompt.expect("sql>")
    prompt.sendline(".tables")
    prompt.expect(r"cost_daily\s*│\s*120")
    prompt.expect("sql>")
    prompt.sendline("select * from nope;")
    prompt.expect("there is no table nope")
    prompt.expect("sql>")
    prompt.sendline("select 'fine' as still;")
    prompt.expect("fine")
    prompt.expect("sql>")
    prompt.sendline(".quit")
    prompt.expect(pexpect.EOF)
    history = published.sql_history.read_text()
    assert "+select 41 + 1\n+as answer;" in history and "+.tables" in history
    assert stat.S_IMODE(published.sql_history.stat().st_mode) == 0o600


@pytest.mark.xfail(
    raises=pexpect.TIMEOUT,
    strict=False,
    reason="known bug: a Ctrl-C that reaches `opslake sql` while DuckDB runs the statement is sometimes noticed "
    "only when the statement ends (about 1 in 4 on a tiny publication); any other failure still fails",
)
def test_ctrl_c_stops_the_statement_not_the_prompt(published):
    env = {**os.environ, **published.env(), "PROMPT_TOOLKIT_NO_CPR": "1"}
    prompt = pexpect.spawn(sys.executable, ["-m", "cli", "sql"], env=env, encoding="utf-8", timeout=60)
    prompt.expect("sql>")
    prompt.sendline("select count(*) from range(1000000000) a, range(1000000) b;")
    time.sleep(8)  # the statement is running (well before its 60 s limit), even on a busy machine
    prompt.sendintr()
    prompt.expect("cancelled")
    prompt.expect("sql>")
    prompt.sendline("select 'alive' as still;")
    prompt.expect("alive")
    prompt.sendline(".quit")
    prompt.expect(pexpect.EOF)
    assert "Traceback" not in prompt.before
