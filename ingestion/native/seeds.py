"""The reviewed seeds that tell the adapters whose an event is and what a source's values mean to opslake."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

from opslake.dbt_project import SEED_DIR

SOURCE_TENANTS = "sources/source_tenants"
PAGERDUTY_SEVERITIES = "sources/pagerduty_severities"
GITHUB_ENVIRONMENTS = "sources/github_environments"


@dataclass(frozen=True)
class Owner:
    """What a source object (a repository, a PagerDuty service, a Jira project) belongs to."""

    tenant_id: str | None  # None: the payload names the tenant (a service shared by tenants)
    service: str | None
    team: str | None
    art: str | None


def _rows(seed: str) -> list[dict[str, str]]:
    with (SEED_DIR / f"{seed}.csv").open(newline="") as file:
        return list(csv.DictReader(file))


@functools.cache
def owners() -> dict[tuple[str, str], Owner]:
    """``(source, source_key) -> Owner``; empty cells are None."""
    return {
        (r["source"], r["source_key"]): Owner(
            r["tenant_id"] or None, r["service"] or None, r["team"] or None, r["art"] or None
        )
        for r in _rows(SOURCE_TENANTS)
    }


def owner(source: str, key: str | None) -> Owner | None:
    return owners().get((source, key)) if key else None


@functools.cache
def pagerduty_severities() -> dict[str, str]:
    """A PagerDuty priority name (or, without priorities, an urgency) -> our severity."""
    return {r["pagerduty_value"]: r["severity"] for r in _rows(PAGERDUTY_SEVERITIES)}


JIRA_ISSUE_TYPES = "sources/jira_issue_types"
JIRA_STATUSES = "sources/jira_statuses"


@functools.cache
def jira_issue_types() -> dict[str, str]:
    """A Jira issue type name -> our work item type (the first row of each type is the demo site's name)."""
    return {r["jira_issue_type"]: r["work_item_type"] for r in _rows(JIRA_ISSUE_TYPES)}


@functools.cache
def jira_statuses() -> dict[str, str]:
    """A Jira status name -> our work item state (the first row of each state is the demo site's name)."""
    return {r["jira_status"]: r["state"] for r in _rows(JIRA_STATUSES)}


@functools.cache
def github_environments() -> dict[str, str]:
    """A GitHub deployment environment name -> our environment (production, staging, development)."""
    return {r["github_environment"]: r["environment"] for r in _rows(GITHUB_ENVIRONMENTS)}
