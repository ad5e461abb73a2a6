"""The dbt staging models, built with ``dbt build`` over a tiny real silver lake of Delta tables (same schema as bronze)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from ingestion.contracts import CONTRACTS
from opslake import dbt_project
from opslake.settings import Settings
from opslake.warehouse import load_sources

RENAMED = {"mfa_used": "is_mfa_used", "privileged": "is_privileged", "committed": "is_committed"}

DAY1 = dt.datetime(2026, 9, 14, 8, 0, tzinfo=dt.UTC)
DAY2 = dt.datetime(2026, 9, 15, 23, 30, tzinfo=dt.UTC)
COMMITS = [{"sha": "9f1c2e3", "committed_at": "2026-09-12T10:01:00Z", "author_id": "u-1042"}]


def event(event_id: str, occurred_at: dt.datetime, **fields: object) -> dict:
    return {"event_id": event_id, "occurred_at": occurred_at, "tenant_id": "t-acme", **fields}


def delivery(event_id: str, occurred_at: dt.datetime, record_type: str, **fields: object) -> dict:
    context = {"art": "Payments ART", "team": "Team Falcon", "pi": "PI-2026.3"}
    return event(event_id, occurred_at, record_type=record_type, **context, **fields)


LOGIN = event(
    "aud-1", DAY1, actor_id="u-1", actor_type="user", action="auth.login", outcome="success", mfa_used=True,
    _extra='{"device":"laptop"}',
)  # fmt: skip
RECORDS: dict[str, list[dict]] = {
    "audit": [
        LOGIN,
        event("aud-2", DAY1, actor_id="u-1", actor_type="user", action="iam.role.grant", outcome="success",
              role="tenant-admin", privileged=True),
        event("aud-3", DAY2, tenant_id="t-beta", actor_id="svc-ci", actor_type="service", action="data.export",
              outcome="denied"),
    ],
    "usage": [
        event("use-1", DAY1, user_id="u-1", service="api", feature="reports.export", requests=42, errors=1,
              latency_ms_p95=480.0),
        event("use-2", DAY2, user_id="u-2", service="api", feature="search", requests=7, errors=0),
    ],
    "incident": [
        event("inc-1", DAY1, incident_id="INC-1", status="triggered", severity="sev2", service="billing-api",
              caused_by_deployment_id="dep-1"),
        event("inc-2", DAY1, incident_id="INC-1", status="acknowledged", severity="sev2", service="billing-api",
              responder_id="u-7"),
        event("inc-3", DAY2, incident_id="INC-1", status="resolved", severity="sev2", service="billing-api",
              responder_id="u-7"),
    ],
    "delivery": [
        delivery("del-1", DAY1, "work_item", work_item_id="FEAT-1", work_item_type="feature",
                 to_state="in_progress", story_points=5.0),
        delivery("del-2", DAY2, "work_item", work_item_id="FEAT-1", work_item_type="feature",
                 from_state="in_progress", to_state="done"),
        delivery("del-3", DAY1, "pi_objective", objective_id="OBJ-1", committed=True, planned_business_value=8,
                 actual_business_value=7),
        delivery("del-4", DAY1, "pull_request", pr_id="payments/pr-1", repository="payments", pr_action="opened",
                 author_id="u-1"),
        delivery("del-5", DAY1, "pull_request", pr_id="payments/pr-1", repository="payments",
                 pr_action="approved", reviewer_id="u-2"),
        delivery("del-6", DAY2, "pull_request", pr_id="payments/pr-1", repository="payments", pr_action="merged",
                 commits=json.dumps(COMMITS), merge_commit_sha="a1b2c3d"),
        delivery("del-7", DAY2, "deployment", deployment_id="dep-1", service="billing-api",
                 environment="production", deployment_status="success",
                 started_at=DAY2 - dt.timedelta(minutes=5), pr_ids='["payments/pr-1"]'),
        delivery("del-8", DAY1, "push", repository="payments", branch="fix-rounding", commits=json.dumps(COMMITS)),
    ],
    "cost": [
        event("c0ffee01", DAY1, billed_cost=12.5, billing_currency="USD", charge_period_start=DAY1,
              charge_category="Usage", provider_name="AWS", service_name="Amazon EC2",
              tags='{"env":"prod","tenant":"t-acme"}'),
        event("c0ffee02", DAY2, tenant_id="unallocated", billed_cost=0.75, billing_currency="USD",
              charge_period_start=DAY2, charge_category="Tax", provider_name="AWS", service_name="Amazon S3"),
    ],
}  # fmt: skip


def bronze_table(domain: str, records: list[dict]) -> pa.Table:
    """Records as the bronze table of a domain: its contract schema, with lineage columns filled in."""
    schema = CONTRACTS[domain].arrow_schema()
    rows = []
    for line, record in enumerate(records, start=1):
        lineage = {
            "event_date": record["occurred_at"].date(),
            "_source_file": f"{domain}-0001.jsonl",
            "_line": line,
            "_ingested_at": DAY2 + dt.timedelta(hours=1),
        }
        rows.append({name: {**lineage, **record}.get(name) for name in schema.names})
    return pa.Table.from_pylist(rows, schema=schema)


def write_lake(home: Path, records: dict[str, list[dict]]) -> None:
    """Silver tables where opslake puts them, copied into the warehouse as every build does."""
    settings = Settings.at(home)
    for domain, domain_records in records.items():
        uri = settings.table_uri("silver", domain)
        write_deltalake(uri, bronze_table(domain, domain_records), partition_by=["event_date"])
    load_sources(settings)


def dbt(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run dbt on the project with this home's profile (its warehouse and lake), target and logs in ``home``."""
    command = dbt_project.command(Settings.at(home), list(args), home / "target")
    return subprocess.run(command, cwd=dbt_project.PROJECT_DIR, capture_output=True, text=True)


def statuses(home: Path) -> dict[str, str]:
    results = json.loads((home / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"]: r["status"] for r in results}


def models(manifest: dict) -> dict[str, dict]:
    """The staging models over silver."""
    return {
        node_id: node
        for node_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["fqn"][1:3] == ["staging", "silver"]
    }


def source_table(manifest: dict, node_id: str) -> str:
    """The source table a staging model reads (staging is 1:1 with sources: one parent, a source)."""
    (parent,) = manifest["parent_map"][node_id]
    return manifest["sources"][parent]["name"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("opslake")
    write_lake(home, RECORDS)
    # Staging only (the marts are tested on a generated lake), without tests that also touch later models.
    result = dbt(home, "build", "--select", "staging.silver", "--indirect-selection", "cautious")
    assert result.returncode == 0, result.stdout + result.stderr
    return home


@pytest.fixture
def manifest(built: Path) -> dict:
    return json.loads((built / "target" / "manifest.json").read_text())


@pytest.fixture
def con(built: Path):
    with duckdb.connect(str(built / "warehouse.duckdb"), read_only=True) as con:
        yield con


def one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    return con.execute(sql).fetchone()


def test_build_runs_every_model_and_test(built: Path) -> None:
    results = statuses(built)
    assert sum(node.startswith("model.") for node in results) == 9
    assert sum(node.startswith("test.") for node in results) > 100
    assert set(results.values()) == {"success", "pass"}


def test_staging_row_counts(con: duckdb.DuckDBPyConnection) -> None:
    expected = {
        "stg_silver__audit_events": 3,
        "stg_silver__usage_events": 2,
        "stg_silver__incident_events": 3,
        "stg_silver__cost_line_items": 2,
        "stg_silver__work_item_transitions": 2,
        "stg_silver__pi_objectives": 1,
        "stg_silver__pull_request_events": 3,
        "stg_silver__deployments": 1,
        "stg_silver__pushes": 1,
    }
    counts = {model: one(con, f"select count(*) from staging.{model}")[0] for model in expected}
    assert counts == expected


def test_models_are_views_over_source_tables(con: duckdb.DuckDBPyConnection) -> None:
    kinds = set(con.execute("select table_schema, table_type from information_schema.tables").fetchall())
    assert kinds == {("staging", "VIEW"), ("silver", "BASE TABLE"), ("main", "BASE TABLE")}  # + lake_loads


def test_typed_values(con: duckdb.DuckDBPyConnection) -> None:
    audit = one(
        con,
        "select is_mfa_used, _extra->>'$.device', typeof(occurred_at) "
        "from staging.stg_silver__audit_events where event_id = 'aud-1'",
    )
    assert audit == (True, "laptop", "TIMESTAMP WITH TIME ZONE")
    assert one(
        con, "select sum(requests), typeof(any_value(requests)) from staging.stg_silver__usage_events"
    ) == (49, "BIGINT")
    deployment = one(
        con,
        "select started_at, occurred_at - started_at, json_array_length(pr_ids), "
        "typeof(pr_ids) from staging.stg_silver__deployments",
    )
    assert deployment == (DAY2 - dt.timedelta(minutes=5), dt.timedelta(minutes=5), 1, "JSON")
    merged = one(
        con,
        "select commits->>'$[0].sha', event_date from staging.stg_silver__pull_request_events "
        "where pr_action = 'merged'",
    )
    assert merged == ("9f1c2e3", DAY2.date())
    assert one(
        con, "select sum(billed_cost), max(tags->>'$.env') from staging.stg_silver__cost_line_items"
    ) == (13.25, "prod")


def test_every_column_is_documented(manifest: dict, con: duckdb.DuckDBPyConnection) -> None:
    for node in models(manifest).values():
        built_columns = [
            column
            for (column,) in con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                "order by ordinal_position",
                [node["schema"], node["alias"]],
            ).fetchall()
        ]
        assert built_columns == list(node["columns"]), node["name"]


def test_staging_carries_every_contract_field(manifest: dict) -> None:
    carried: dict[str, set[str]] = {}
    for node_id, node in models(manifest).items():
        carried.setdefault(source_table(manifest, node_id), set()).update(node["columns"])
    assert set(carried) == set(CONTRACTS)
    for domain, contract in CONTRACTS.items():
        fields = set(contract.names) - {contract.record_type_field}  # a discriminator: one model per type
        assert {RENAMED.get(name, name) for name in fields} <= carried[domain], domain


def test_duplicate_event_id_fails_the_unique_test(tmp_path: Path) -> None:
    write_lake(tmp_path, {"audit": [*RECORDS["audit"], {**LOGIN, "occurred_at": DAY2}]})
    result = dbt(tmp_path, "build", "--select", "stg_silver__audit_events")
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [node.rsplit(".", 1)[0] for node, status in statuses(tmp_path).items() if status == "fail"]
    assert failed == ["test.opslake.unique_stg_silver__audit_events_event_id"]
