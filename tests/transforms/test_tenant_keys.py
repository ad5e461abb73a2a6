"""Ids from a tenant's own systems are unique within the tenant only. Two tenants, t-acme and t-beta, run their own
trackers and share every id: incident INC-20260915-0001, work item STORY-1, PI objective OBJ-1, pull request
payments/pr-1, deployment dep-1, team Team Falcon, service api-gateway, user u-1. The lake is written straight into
silver and built with dbt; each tenant's figures below are worked out by hand from the records."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from opslake.dbt_project import PROJECT_DIR
from opslake.warehouse import load_sources
from privacy.erasure import ensure_erasure_log
from tests.fixtures.lake_tables import write_lake_table

ACME, BETA = "t-acme", "t-beta"
INCIDENT = "INC-20260915-0001"
PR = "payments/pr-1"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 9, day, hour, minute, tzinfo=dt.UTC)


def event(tenant: str, n: int, occurred_at: dt.datetime, **fields: object) -> dict:
    """A record with an event id of its own (event ids are global: the exactly-once key)."""
    return {"event_id": f"{tenant}-{n}", "occurred_at": occurred_at, "tenant_id": tenant, **fields}


def incident(tenant: str, n: int, occurred_at: dt.datetime, status: str, **fields: object) -> dict:
    return event(tenant, n, occurred_at, incident_id=INCIDENT, status=status, responder_id="u-9", **fields)


def delivery(tenant: str, n: int, occurred_at: dt.datetime, record_type: str, **fields: object) -> dict:
    team = {"art": "Payments ART", "team": "Team Falcon", "pi": "PI-2026.3"}
    return event(tenant, n, occurred_at, record_type=record_type, **team, **fields)


def story(tenant: str, n: int, occurred_at: dt.datetime, from_state: str | None, to_state: str) -> dict:
    return delivery(
        tenant, n, occurred_at, "work_item", work_item_id="STORY-1", work_item_type="story",
        from_state=from_state, to_state=to_state,
    )  # fmt: skip


def pull_request(tenant: str, n: int, occurred_at: dt.datetime, action: str, **fields: object) -> dict:
    return delivery(
        tenant, n, occurred_at, "pull_request", pr_id=PR, repository="payments", pr_action=action, author_id="u-1",
        **fields,
    )  # fmt: skip


def commits(*committed_at: str) -> str:
    return json.dumps(
        [{"sha": f"c{i}", "committed_at": c, "author_id": "u-1"} for i, c in enumerate(committed_at)]
    )


RECORDS: dict[str, list[dict]] = {
    "incident": [
        # t-acme: sev2 on billing-api, blamed on its dep-1; acknowledged after 12 min, resolved after 60
        incident(ACME, 1, at(15, 13), "triggered", severity="sev2", service="billing-api",
                 caused_by_deployment_id="dep-1"),
        incident(ACME, 2, at(15, 13, 12), "acknowledged", severity="sev2", service="billing-api"),
        incident(ACME, 3, at(15, 14), "resolved", severity="sev2", service="billing-api"),
        # t-beta: sev1 on search, blamed on its own dep-1; acknowledged after 20 min, resolved after 240
        incident(BETA, 1, at(16, 12), "triggered", severity="sev1", service="search",
                 caused_by_deployment_id="dep-1"),
        incident(BETA, 2, at(16, 12, 20), "acknowledged", severity="sev1", service="search"),
        incident(BETA, 3, at(16, 16), "resolved", severity="sev1", service="search"),
    ],
    "delivery": [
        # STORY-1 of t-acme: active Mon 09-14 12:00 to done Wed 09-16 12:00
        story(ACME, 10, at(14, 9), None, "backlog"),
        story(ACME, 11, at(14, 12), "backlog", "in_progress"),
        story(ACME, 12, at(16, 12), "in_progress", "done"),
        # STORY-1 of t-beta: active Tue 09-15 12:00, blocked a day, done Fri 09-18 12:00
        story(BETA, 10, at(14, 9), None, "backlog"),
        story(BETA, 11, at(15, 12), "backlog", "in_progress"),
        story(BETA, 12, at(16, 12), "in_progress", "blocked"),
        story(BETA, 13, at(17, 12), "blocked", "in_progress"),
        story(BETA, 14, at(18, 12), "in_progress", "done"),
        delivery(ACME, 20, at(14, 9), "pi_objective", objective_id="OBJ-1", committed=True,
                 planned_business_value=8, actual_business_value=6),
        delivery(BETA, 20, at(14, 9), "pi_objective", objective_id="OBJ-1", committed=True,
                 planned_business_value=10, actual_business_value=9),
        # t-acme's PR: approved by its author only, merged 09-15 09:00
        pull_request(ACME, 30, at(14, 9), "opened"),
        pull_request(ACME, 31, at(14, 15), "approved", reviewer_id="u-1"),
        pull_request(ACME, 32, at(15, 9), "merged", commits=commits("2026-09-14T08:00:00Z")),
        # t-beta's PR: approved by u-2 at 09:30, before its own merge at 10:00 (after t-acme's)
        pull_request(BETA, 30, at(14, 10), "opened"),
        pull_request(BETA, 31, at(15, 9, 30), "approved", reviewer_id="u-2"),
        pull_request(BETA, 32, at(15, 10), "merged", commits=commits("2026-09-13T10:00:00Z", "2026-09-14T22:00:00Z")),
        delivery(ACME, 40, at(15, 12), "deployment", deployment_id="dep-1", service="billing-api",
                 environment="production", deployment_status="success", started_at=at(15, 11, 50),
                 pr_ids=json.dumps([PR])),
        delivery(BETA, 40, at(16, 10), "deployment", deployment_id="dep-1", service="search",
                 environment="production", deployment_status="success", started_at=at(16, 9, 50),
                 pr_ids=json.dumps([PR])),
    ],
    "usage": [
        # u-1 is a service account in t-acme (see audit) and a person in t-beta
        event(ACME, 50, at(15, 8), user_id="u-1", service="api-gateway", feature="export", requests=10, errors=0),
        event(ACME, 51, at(15, 8, 1), user_id="u-2", service="api-gateway", feature="export", requests=5, errors=1),
        event(BETA, 50, at(15, 8), user_id="u-1", service="api-gateway", feature="search", requests=7, errors=0),
    ],
    "audit": [
        event(ACME, 60, at(15, 7), actor_id="u-1", actor_type="service", action="data.export", outcome="success"),
        event(ACME, 61, at(15, 7, 30), actor_id="u-2", actor_type="user", action="auth.login", outcome="success",
              mfa_used=True),
        event(BETA, 60, at(15, 7), actor_id="u-1", actor_type="user", action="auth.login", outcome="success",
              mfa_used=True),
    ],
    "cost": [],
}  # fmt: skip


@pytest.fixture(scope="module")
def lake(module_lake):
    for domain, records in RECORDS.items():
        write_lake_table(module_lake.settings, "silver", domain, records)
    ensure_erasure_log(module_lake.settings)
    load_sources(module_lake.settings)
    # unit tests run on the generated lake (tests/transforms/test_marts.py): here every model and data test
    results = module_lake.dbt("build", "--exclude", "test_type:unit")
    failed = [
        r["unique_id"] for r in results if r["status"] not in ("success", "pass", "no-op")
    ]  # no-op: exposures
    assert results and not failed, failed
    return module_lake


def rows(lake, sql: str) -> list[dict]:
    return lake.dicts(f"{sql} order by all")


def test_every_mart_is_built(lake):
    built = {r[0] for r in lake.query("select table_name from duckdb_tables() where schema_name = 'marts'")}
    assert built == {p.stem for p in (PROJECT_DIR / "transforms" / "models" / "marts").rglob("*.sql")}


def test_each_tenant_s_incident_keeps_its_own_times(lake):
    assert rows(
        lake, "select tenant_id, incident_id, service, minutes_to_acknowledge, minutes_to_resolve from marts.incidents"
    ) == [
        {"tenant_id": ACME, "incident_id": INCIDENT, "service": "billing-api", "minutes_to_acknowledge": 12.0,
         "minutes_to_resolve": 60.0},
        {"tenant_id": BETA, "incident_id": INCIDENT, "service": "search", "minutes_to_acknowledge": 20.0,
         "minutes_to_resolve": 240.0},
    ]  # fmt: skip
    assert rows(
        lake,
        "select tenant_id, severity, incidents, change_induced_incidents, mtta_mean_minutes, mttr_mean_minutes "
        "from marts.incident_metrics_monthly",
    ) == [
        {"tenant_id": ACME, "severity": "sev2", "incidents": 1, "change_induced_incidents": 1,
         "mtta_mean_minutes": 12.0, "mttr_mean_minutes": 60.0},
        {"tenant_id": BETA, "severity": "sev1", "incidents": 1, "change_induced_incidents": 1,
         "mtta_mean_minutes": 20.0, "mttr_mean_minutes": 240.0},
    ]  # fmt: skip


def test_each_tenant_s_deployment_ships_its_own_commits_and_caused_its_own_incident(lake):
    # t-acme: dep-1 finished 09-15 12:00; commit 09-14 08:00 -> 28 h; its incident resolved 14:00 -> 2 h after
    # t-beta: dep-1 finished 09-16 10:00; commits 09-13 10:00 and 09-14 22:00 -> 72 h and 36 h, median 54 h;
    #         its incident resolved 16:00 -> 6 h after
    assert rows(
        lake,
        "select tenant_id, deployment_id, commits_deployed, lead_time_p50_hours, incidents_caused, "
        "caused_incident_ids, failed_deployment_recovery_hours from marts.dora_deployments",
    ) == [
        {"tenant_id": ACME, "deployment_id": "dep-1", "commits_deployed": 1, "lead_time_p50_hours": 28.0,
         "incidents_caused": 1, "caused_incident_ids": [f"{ACME}:{INCIDENT}"],
         "failed_deployment_recovery_hours": 2.0},
        {"tenant_id": BETA, "deployment_id": "dep-1", "commits_deployed": 2, "lead_time_p50_hours": 54.0,
         "incidents_caused": 1, "caused_incident_ids": [f"{BETA}:{INCIDENT}"],
         "failed_deployment_recovery_hours": 6.0},
    ]  # fmt: skip
    assert rows(
        lake, "select tenant_id, pr_id, commit_index, deployment_id, lead_time_hours from marts.dora_change_lead_times"
    ) == [
        {"tenant_id": ACME, "pr_id": PR, "commit_index": 1, "deployment_id": "dep-1", "lead_time_hours": 28.0},
        {"tenant_id": BETA, "pr_id": PR, "commit_index": 1, "deployment_id": "dep-1", "lead_time_hours": 72.0},
        {"tenant_id": BETA, "pr_id": PR, "commit_index": 2, "deployment_id": "dep-1", "lead_time_hours": 36.0},
    ]  # fmt: skip
    # time to restore: t-acme 13:00 -> 14:00 = 1 h, t-beta 12:00 -> 16:00 = 4 h
    assert rows(
        lake,
        "select tenant_id, team, deployments, lead_time_p50_hours, change_failure_rate, incidents, "
        "time_to_restore_p50_hours, failed_deployment_recovery_p50_hours from marts.dora_metrics_monthly",
    ) == [
        {"tenant_id": ACME, "team": "Team Falcon", "deployments": 1, "lead_time_p50_hours": 28.0,
         "change_failure_rate": 1.0, "incidents": 1, "time_to_restore_p50_hours": 1.0,
         "failed_deployment_recovery_p50_hours": 2.0},
        {"tenant_id": BETA, "team": "Team Falcon", "deployments": 1, "lead_time_p50_hours": 54.0,
         "change_failure_rate": 1.0, "incidents": 1, "time_to_restore_p50_hours": 4.0,
         "failed_deployment_recovery_p50_hours": 6.0},
    ]  # fmt: skip


def test_each_tenant_s_work_item_and_objective_count_for_it_alone(lake):
    # t-acme: 2 days active of 2 days' flow; WIP at the end of 09-14, 09-15, 09-16 (its covered days): 1, 1, 0
    # t-beta: 3 days' flow of which 1 blocked; WIP at the end of 09-14 .. 09-18: 0, 1, 1, 1, 0
    assert rows(
        lake,
        "select tenant_id, team, week_start, flow_velocity, flow_time_p50_days, flow_efficiency, days_observed, "
        "flow_load_avg_wip from marts.flow_metrics_weekly",
    ) == [
        {"tenant_id": ACME, "team": "Team Falcon", "week_start": dt.date(2026, 9, 14), "flow_velocity": 1,
         "flow_time_p50_days": 2.0, "flow_efficiency": 1.0, "days_observed": 3, "flow_load_avg_wip": 2 / 3},
        {"tenant_id": BETA, "team": "Team Falcon", "week_start": dt.date(2026, 9, 14), "flow_velocity": 1,
         "flow_time_p50_days": 3.0, "flow_efficiency": 2 / 3, "days_observed": 5, "flow_load_avg_wip": 3 / 5},
    ]  # fmt: skip
    # predictability: t-acme 6 / 8 = 75 %, t-beta 9 / 10 = 90 %
    assert rows(lake, "select tenant_id, objectives, predictability_pct from marts.flow_predictability") == [
        {"tenant_id": ACME, "objectives": 1, "predictability_pct": 75.0},
        {"tenant_id": BETA, "objectives": 1, "predictability_pct": 90.0},
    ]


def test_each_tenant_s_controls_judge_its_own_items(lake):
    # CC7.4: t-acme's sev2 acknowledged in 12 min (target 30), t-beta's sev1 in 20 (target 15): late.
    # CC8.1: t-acme's PR was approved by its author only; t-beta's by u-2 before its merge.
    assert rows(
        lake,
        "select tenant_id, control_id, population, exceptions from marts.compliance_controls "
        "where control_id in ('CC7.4-INCIDENT-RESPONSE', 'CC8.1-CHANGE-APPROVAL') and population > 0",
    ) == [
        {"tenant_id": ACME, "control_id": "CC7.4-INCIDENT-RESPONSE", "population": 1, "exceptions": 0},
        {"tenant_id": ACME, "control_id": "CC8.1-CHANGE-APPROVAL", "population": 1, "exceptions": 1},
        {"tenant_id": BETA, "control_id": "CC7.4-INCIDENT-RESPONSE", "population": 1, "exceptions": 1},
        {"tenant_id": BETA, "control_id": "CC8.1-CHANGE-APPROVAL", "population": 1, "exceptions": 0},
    ]
    assert rows(lake, "select tenant_id, exception_id from marts.compliance_exceptions") == [
        {
            "tenant_id": ACME,
            "exception_id": f"CC8.1-CHANGE-APPROVAL:dep-1:pr_not_independently_approved:{PR}",
        },
        {"tenant_id": BETA, "exception_id": f"CC7.4-INCIDENT-RESPONSE:{INCIDENT}:acknowledged_late"},
    ]


def test_each_tenant_s_users_and_service_are_its_own(lake):
    # t-acme: u-1 (service account, 10 requests) and u-2 (a person, 5 requests, 1 error); t-beta: u-1, a person
    assert rows(
        lake,
        "select tenant_id, active_users, active_service_accounts, requests from marts.tenant_usage_monthly",
    ) == [
        {"tenant_id": ACME, "active_users": 1, "active_service_accounts": 1, "requests": 15},
        {"tenant_id": BETA, "active_users": 1, "active_service_accounts": 0, "requests": 7},
    ]
    assert rows(
        lake, "select tenant_id, service, requests, errors, availability_sli from marts.slo_daily"
    ) == [
        {
            "tenant_id": ACME,
            "service": "api-gateway",
            "requests": 15,
            "errors": 1,
            "availability_sli": 14 / 15,
        },
        {"tenant_id": BETA, "service": "api-gateway", "requests": 7, "errors": 0, "availability_sli": 1.0},
    ]
