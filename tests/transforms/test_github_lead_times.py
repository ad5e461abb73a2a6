"""A change's lead time from GitHub alone: a pull request merged without a commit list, the push of its commits to
its branch and the deployment naming it go through the GitHub adapter, silver (the branch pseudonymised) and dbt.

The deliveries are the demo converter's for three hand-made canonical records: commits at 08:00 and 08:30, a merge
at 11:00 and a production deployment finished at 12:00 give lead times of 4 and 3.5 hours."""

from __future__ import annotations

import json

import pytest

from demo.native.github import to_github
from ingestion.native.ingest import ingest_native
from opslake.warehouse import load_sources
from privacy.silver import build_silver
from tests.fixtures.lake_tables import write_lake_table

HEAD = {"tenant_id": "t-platform", "repository": "payments", "title": "Round invoices half-even"}
PR = {**HEAD, "record_type": "pull_request", "pr_id": "payments/pr-501", "author_id": "u-1"}
RECORDS = [
    {**PR, "event_id": "del-1", "occurred_at": "2026-09-14T09:00:00Z", "pr_action": "opened", "body": "Fixes #12"},
    {**PR, "event_id": "del-2", "occurred_at": "2026-09-14T10:00:00Z", "pr_action": "approved", "reviewer_id": "u-2"},
    {
        **PR, "event_id": "del-3", "occurred_at": "2026-09-14T11:00:00Z", "pr_action": "merged",
        "merge_commit_sha": "m1",
        "commits": [
            {"sha": "c1", "committed_at": "2026-09-14T08:00:00Z", "author_id": "u-1"},
            {"sha": "c2", "committed_at": "2026-09-14T08:30:00Z", "author_id": "u-1"},
        ],
    },
    {
        **HEAD, "record_type": "deployment", "event_id": "del-4", "occurred_at": "2026-09-14T12:00:00Z",
        "deployment_id": "dep-000900", "service": "billing-api", "team": "Team Falcon", "environment": "production",
        "deployment_status": "success", "started_at": "2026-09-14T11:30:00Z", "pr_ids": ["payments/pr-501"],
    },
]  # fmt: skip


def no_entities(values: list[str], context: list[str]) -> list[list[tuple[str, float]]]:
    return [[] for _ in values]


def keep_text(texts: list[str | None], known: object) -> list[str | None]:
    return texts


@pytest.fixture(scope="module")
def lake(module_lake, tmp_path_factory):
    settings = module_lake.settings
    path = tmp_path_factory.mktemp("landing") / "github.jsonl"
    path.write_text("".join(json.dumps(w) + "\n" for r in RECORDS for w in to_github(r)))
    report = ingest_native(settings, "github", [path])
    assert (report.read, report.accepted) == (5, 5)  # the merge is a push and a pull_request event
    build_silver(settings, "delivery", no_entities, keep_text)
    for domain in (
        "audit",
        "cost",
        "incident",
        "usage",
    ):  # every feed dates the data's as-of: present, if empty
        write_lake_table(settings, "silver", domain, [])
    load_sources(settings)
    selection = ("--select", "+dora_change_lead_times", "--indirect-selection", "cautious")
    results = module_lake.dbt("build", *selection, "--exclude", "test_type:unit")
    failed = [r["unique_id"] for r in results if r["status"] not in ("success", "pass")]
    assert results and not failed, failed
    return module_lake


def test_the_pushed_commits_get_their_lead_times(lake):
    rows = lake.query(
        "select pr_id, commit_index, commit_sha, deployment_id, team, lead_time_hours "
        "from marts.dora_change_lead_times order by commit_index"
    )
    assert rows == [
        ("opsline/payments#501", 1, "c1", "1000000900", "Team Falcon", 4.0),
        ("opsline/payments#501", 2, "c2", "1000000900", "Team Falcon", 3.5),
    ]


def test_the_branch_is_joined_by_its_pseudonym(lake):
    branches = lake.query(
        "select distinct record_type, branch from silver.delivery where branch is not null order by record_type"
    )
    assert [r[0] for r in branches] == ["pull_request", "push"]
    assert branches[0][1] == branches[1][1] != "change/pr-501"
