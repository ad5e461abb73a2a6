"""What analysts open holds the marts (each table and column commented with its YAML description), the health
tables and the record only: no staging, intermediate, silver or bronze, and no unmasked personal or free text."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import yaml

from ingestion.contracts import CONTRACTS
from opslake.publication import current_path
from opslake.settings import PROJECT_ROOT
from privacy.classify import declarations
from privacy.pseudonyms import PSEUDONYM_HEX

MARTS_YAML = PROJECT_ROOT / "transforms" / "models" / "marts"
DOC_BLOCK = re.compile(r"{%\s*docs\s+(\w+)\s*%}(.*?){%\s*enddocs\s*%}", re.S)
DOC_CALL = re.compile(r"""{{\s*doc\(\s*['"](\w+)['"]\s*\)\s*}}""")
MASKED = {"pseudonymize", "mask", "generalize"}  # a column kept under one of these holds no raw value


def yaml_descriptions() -> dict[str, tuple[str, dict[str, str]]]:
    """Each mart's description and its columns', read from the YAML with its ``doc()`` blocks filled in."""
    blocks = {
        name: body.strip()
        for md in (PROJECT_ROOT / "transforms").rglob("*.md")
        for name, body in DOC_BLOCK.findall(md.read_text())
    }

    def text(value: str | None) -> str:
        return DOC_CALL.sub(lambda m: blocks[m[1]], value or "").strip()

    found = {}
    for path in MARTS_YAML.rglob("*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models", []):
            columns = {c["name"]: text(c.get("description")) for c in model.get("columns", [])}
            found[model["name"]] = (text(model.get("description")), columns)
    return found


def published_columns(path: Path) -> list[tuple[str, str, str, str | None]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "select schema_name, table_name, column_name, comment from duckdb_columns() "
            "where database_name = current_database() order by all"
        ).fetchall()


def published_tables(path: Path) -> dict[tuple[str, str], str | None]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() where database_name = current_database()"
        ).fetchall()
    return {(s, t): c for s, t, c in rows}


def test_every_mart_column_is_documented_in_the_yaml(built_lake):
    documented = yaml_descriptions()
    built = built_lake.query(
        "select table_name, column_name from duckdb_columns() where schema_name = 'marts' order by all"
    )
    missing = [f"{t}.{c}" for t, c in built if not documented.get(t, ("", {}))[1].get(c)] + [
        f"{t} (the model)" for t in {t for t, _ in built} if not documented.get(t, ("",))[0]
    ]
    assert not missing, f"undocumented in transforms/models/marts/**.yml: {', '.join(missing)}"


def test_every_published_table_and_column_has_its_documented_meaning_as_comment(built_lake):
    path = current_path(built_lake.settings)
    documented = yaml_descriptions()
    tables = published_tables(path)
    columns = published_columns(path)
    assert {t for s, t in tables if s == "marts"} == set(documented)
    assert not [k for k, comment in tables.items() if not comment], "tables without a comment"
    assert not [c[:3] for c in columns if not c[3]], "columns without a comment"
    for (schema, table), comment in tables.items():
        if schema == "marts":
            assert comment == documented[table][0]
    for schema, table, column, comment in columns:
        if schema == "marts":
            assert comment == documented[table][1][column], f"{table}.{column}"


def test_the_duckdb_cli_analysts_install_reads_the_comments(built_lake):
    path = current_path(built_lake.settings)
    cli = Path(sys.executable).with_name("duckdb")  # duckdb-cli 1.5 from PyPI, a dev dependency
    out = subprocess.run(
        [
            str(cli),
            "-readonly",
            "-csv",
            str(path),
            "-c",
            "select table_name, column_name, comment from "
            "duckdb_columns() where table_name = 'cost_allocation_monthly' and column_name = 'requests'",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    expected = yaml_descriptions()["cost_allocation_monthly"][1]["requests"]
    assert out.stdout.splitlines()[1:] == [f"cost_allocation_monthly,requests,{expected}"]


def test_the_publication_holds_the_marts_health_and_record_only(built_lake):
    tables = published_tables(current_path(built_lake.settings))
    assert {s for s, _ in tables} == {"marts", "health", "opslake"}
    assert {t for s, t in tables if s == "opslake"} == {"publication"}
    layers = ("stg_", "int_", "silver", "bronze", "staging", "intermediate")
    assert not [t for _, t in tables if t.startswith(layers)]
    with duckdb.connect(str(current_path(built_lake.settings)), read_only=True) as con:
        views = con.execute("select view_name from duckdb_views() where not internal").fetchall()
    assert views == []


def personal_or_free_text() -> dict[str, str]:
    """Column name -> policy of every column classified as a person's identity or free text: the contracts' free
    text fields, and the declarations with an identity or the redact_text policy."""
    found = {f.name: "redact_text" for c in CONTRACTS.values() for f in c.fields if f.kind == "text"}
    for key, decl in declarations().items():
        if decl.get("identity") or decl["policy"] == "redact_text":
            found[key.split(".", 1)[1]] = decl["policy"]
    return found | {"_extra": "redact_text"}


def test_no_published_column_holds_personal_data_or_free_text_unmasked(built_lake):
    path = current_path(built_lake.settings)
    classified = personal_or_free_text()
    assert {"actor_email", "message", "summary", "body", "commits"} <= set(classified)
    flagged = [(s, t, c) for s, t, c, _ in published_columns(path) if c in classified]
    free_text = [f"{s}.{t}.{c}" for s, t, c in flagged if classified[c] not in MASKED]
    assert not free_text, "free text published"
    pseudonyms = [f for f in flagged if classified[f[2]] == "pseudonymize"]
    assert pseudonyms  # the compliance exceptions name people: by pseudonym
    with duckdb.connect(str(path), read_only=True) as con:
        for schema, table, column in pseudonyms:
            raw = con.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}" is not null '
                f"and not regexp_full_match(\"{column}\", '[0-9a-f]{{{PSEUDONYM_HEX}}}')"
            ).fetchall()[0][0]
            assert raw == 0, f"{schema}.{table}.{column} holds values that are not pseudonyms"
