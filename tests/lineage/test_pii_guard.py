"""The PII guard: the real project passes; a mart reading a raw email from bronze fails, naming column and path."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource

from lineage.pii import PiiLeak, check, find_violations, personal_columns
from opslake.dbt_project import DBT_EXECUTABLE
from orchestration.lib.resources import LakeResource


def test_personal_columns_come_from_the_classification_declarations(real_project):
    personal = personal_columns(real_project.classes)
    assert (
        personal["bronze.audit.actor_email"].policy == "pseudonymize"
    )  # classification.yml: restricted, pseudonymize
    assert personal["bronze.audit.source_ip"].policy == "generalize"
    assert personal["bronze.audit.message"].policy == "redact_text"  # free text, by its kind
    assert "bronze.audit.tenant_id" not in personal  # internal, keep
    assert "bronze.cost.region_name" not in personal  # public
    assert "landing.audit.actor_email" in personal


def test_the_real_project_passes_the_guard(real_project):
    check(real_project.graph, real_project.classes)
    assert real_project.graph.warnings == [], (
        "models with unknown lineage fail the guard once a mart reads them"
    )


def test_a_mart_selecting_a_raw_email_from_bronze_fails_naming_the_column_and_its_path(leaking_project):
    violations = {v.column: v for v in find_violations(leaking_project.graph, leaking_project.classes)}
    leak = violations["marts.leaky_actor_emails.actor_email"]
    assert [e.source_node for e in leak.path] == ["bronze.audit.actor_email"]
    assert "bronze.audit.actor_email" in leak.reason and "pseudonymize" in leak.reason
    gold = violations["gold.leaky_actor_emails.actor_email"]
    assert [e.source_node for e in gold.path] == [
        "marts.leaky_actor_emails.actor_email",
        "bronze.audit.actor_email",
    ]
    assert "marts.leaky_actor_emails.tenant_id" not in violations  # not personal
    board = violations["dashboard.leak_board.actor_email"]  # an exposure reads every column of its models
    assert [e.source_node for e in board.path][-1] == "bronze.audit.actor_email"
    # meta.columns lists tenant_id only
    assert not any(c.startswith("dashboard.tenants_board.") for c in violations)
    assert leaking_project.graph.columns("dashboard.tenants_board") == ["tenant_id"]
    with pytest.raises(PiiLeak) as raised:
        check(leaking_project.graph, leaking_project.classes)
    message = str(raised.value)
    assert "marts.leaky_actor_emails.actor_email" in message
    assert "path: marts.leaky_actor_emails.actor_email <- bronze.audit.actor_email" in message


def test_a_mart_whose_lineage_cannot_be_resolved_fails_closed(leaking_project):
    violations = {v.column: v for v in find_violations(leaking_project.graph, leaking_project.classes)}
    unknown = [v for c, v in violations.items() if c.startswith("marts.unparseable_logins.")]
    assert unknown and all("unknown lineage" in v.reason for v in unknown)
    assert any("marts.unparseable_logins" in w for w in leaking_project.graph.warnings)


def test_the_dbt_step_fails_before_building_anything(leaking_project, settings):
    """The guard checks the project the dbt resource is about to build: here, the leaking copy."""
    from orchestration.defs.transforms.assets import dbt_models
    from orchestration.lib.dbt import dagster_dbt_project

    result = dg.materialize(
        [dbt_models(dagster_dbt_project(settings))],
        resources={
            "dbt": DbtCliResource(
                project_dir=str(leaking_project.project), dbt_executable=str(DBT_EXECUTABLE)
            ),
            "lake": LakeResource.of(settings),
        },
        raise_on_error=False,
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "marts.leaky_actor_emails.actor_email <- bronze.audit.actor_email" in str(
        failure.event_specific_data
    )
    assert not leaking_project.settings.warehouse.exists()  # dbt never ran
