"""GitHub webhook deliveries, from the published examples of @octokit/webhooks-examples, through the adapter.

The expected values are read by hand from the fixtures (tests/fixtures/native/github/); the examples' repository
Codertocat/Hello-World and organization Octocoders are in no seed row, so the tests move them to the demo's
``opsline/payments`` (seed: tenant t-platform, service billing-api) where a payload should be accepted.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pytest

from ingestion.native.ingest import ingest_native
from tests.fixtures.cli import opslake
from tests.fixtures.lake_tables import read_bronze, read_quarantine

EXAMPLES = Path(__file__).parents[1] / "fixtures" / "native" / "github"
RECEIVED = "2026-11-02T10:00:00+00:00"
REPO = "opsline/payments"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def in_opsline(payload: dict) -> dict:
    """The example moved to the seeded repository opsline/payments of the organization opsline."""
    payload = copy.deepcopy(payload)
    if "repository" in payload:
        payload["repository"].update(full_name=REPO, name="payments")
        payload["repository"]["owner"]["login"] = "opsline"
    if "organization" in payload:
        payload["organization"]["login"] = "opsline"
    return payload


def wrap(event: str, payload: dict, delivery: str) -> dict:
    """As the receiver lands a delivery (ingestion/webhooks/receiver.py)."""
    return {"event": event, "delivery": delivery, "received_at": RECEIVED, "payload": payload}


def write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def merged_example() -> dict:
    """The closed example as GitHub sends a merge: ``merged`` true and its time."""
    payload = in_opsline(example("pull_request.closed"))
    payload["pull_request"].update(merged=True, merged_at="2019-05-15T15:21:18Z")
    return payload


def review_example(state: str) -> dict:
    payload = in_opsline(example("pull_request_review.submitted"))
    payload["review"]["state"] = state
    return payload


def by_event(settings, domain: str) -> dict[str, dict]:
    return {r["event_id"]: r for r in read_bronze(settings, domain).to_pylist()}


def pick(row: dict, keys: list[str]) -> dict:
    return {k: row[k] for k in keys}


PR_KEYS = [
    "tenant_id", "record_type", "pr_id", "repository", "branch", "pr_action", "author_id", "reviewer_id",
    "occurred_at", "merge_commit_sha",
]  # fmt: skip
PR = {"tenant_id": "t-platform", "record_type": "pull_request", "pr_id": f"{REPO}#2", "repository": REPO}


def test_pull_request_events_become_pull_request_records(settings, tmp_path):
    deliveries = [
        wrap("pull_request", in_opsline(example("pull_request.opened")), "d-opened"),
        wrap("pull_request_review", review_example("commented"), "d-commented"),
        wrap("pull_request_review", review_example("approved"), "d-approved"),
        wrap("pull_request_review", review_example("changes_requested"), "d-changes"),
        wrap("pull_request", merged_example(), "d-merged"),
        wrap("pull_request", in_opsline(example("pull_request.closed")), "d-closed"),
    ]
    report = ingest_native(settings, "github", [write(tmp_path / "gh.jsonl", deliveries)])
    assert (report.read, report.accepted, report.quarantined) == (6, 6, 0)
    rows = by_event(settings, "delivery")
    head = PR | {
        "branch": "changes",
        "author_id": "Codertocat",
        "reviewer_id": None,
        "merge_commit_sha": None,
    }
    review = head | {"reviewer_id": "Codertocat", "occurred_at": utc("2019-05-15T15:20:38Z")}
    assert {k: pick(r, PR_KEYS) for k, r in rows.items()} == {
        "github:d-opened": head | {"pr_action": "opened", "occurred_at": utc("2019-05-15T15:20:33Z")},
        "github:d-commented": review | {"pr_action": "reviewed"},
        "github:d-approved": review | {"pr_action": "approved"},
        "github:d-changes": review | {"pr_action": "changes_requested"},
        "github:d-merged": head
        | {
            "pr_action": "merged",
            "occurred_at": utc("2019-05-15T15:21:18Z"),
            "merge_commit_sha": "c4295bd74fb0f4fda03689c3df3f2803b658fd85",
        },
        "github:d-closed": head | {"pr_action": "closed", "occurred_at": utc("2019-05-15T15:21:18Z")},
    }
    opened = rows["github:d-opened"]
    assert opened["title"] == "Update the README with new information."
    assert opened["body"] == "This is a pretty simple change that we need to pull into master."
    assert rows["github:d-merged"]["commits"] is None  # GitHub's pull request payloads list no commits


def test_a_push_keeps_its_commits_but_no_commit_author_s_email_name_or_message(settings, tmp_path):
    ingest_native(
        settings,
        "github",
        [write(tmp_path / "push.jsonl", [wrap("push", in_opsline(example("push")), "d-push")])],
    )
    (row,) = read_bronze(settings, "delivery").to_pylist()
    assert pick(row, ["event_id", "tenant_id", "record_type", "repository", "branch", "occurred_at"]) == {
        "event_id": "github:d-push",
        "tenant_id": "t-platform",
        "record_type": "push",
        "repository": REPO,
        "branch": "master",
        "occurred_at": utc("2019-05-15T15:20:57Z"),  # repository.pushed_at 1557933657
    }
    assert json.loads(row["commits"]) == [
        {
            "sha": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
            "committed_at": "2019-05-15T15:19:25Z",
            "author_id": "Codertocat",
        }
    ]
    stored = json.dumps(row, default=str)
    assert "noreply" not in stored and "Initial commit" not in stored


def deployment(state: str = "success", environment: str = "production", **convention) -> dict:
    payload = in_opsline(example("deployment_status.success"))
    payload["deployment_status"].update(state=state, environment=environment)
    payload["deployment"]["payload"] = convention
    return payload


def test_a_deployment_outcome_becomes_a_deployment_with_the_tooling_s_payload(settings, tmp_path):
    deliveries = [
        wrap(
            "deployment_status", deployment(pr_ids=["opsline/payments#2", 3, "#4"], team="Team Falcon"), "d-1"
        ),
        wrap("deployment_status", deployment("error", team="Team Falcon", service="search"), "d-2"),
        wrap("deployment_status", deployment("failure", "staging", team="Team Falcon"), "d-3"),
    ]
    report = ingest_native(settings, "github", [write(tmp_path / "dep.jsonl", deliveries)])
    assert (report.read, report.accepted) == (3, 3)
    rows = by_event(settings, "delivery")
    keys = [
        "deployment_id",
        "repository",
        "service",
        "team",
        "environment",
        "deployment_status",
        "started_at",
    ]
    common = {
        "deployment_id": "145988746",
        "repository": REPO,
        "team": "Team Falcon",
        "started_at": utc("2019-05-15T15:20:53Z"),  # deployment.created_at
    }
    assert {k: pick(r, keys) for k, r in rows.items()} == {
        "github:d-1": common
        | {"service": "billing-api", "environment": "production", "deployment_status": "success"},
        "github:d-2": common
        | {"service": "search", "environment": "production", "deployment_status": "failure"},
        "github:d-3": common
        | {"service": "billing-api", "environment": "staging", "deployment_status": "failure"},
    }
    assert rows["github:d-1"]["occurred_at"] == utc("2019-05-15T15:20:55Z")  # deployment_status.created_at
    assert json.loads(rows["github:d-1"]["pr_ids"]) == [f"{REPO}#2", f"{REPO}#3", f"{REPO}#4"]
    assert rows["github:d-2"]["pr_ids"] is None  # no pr_ids: a redeploy


AUDIT_KEYS = [
    "tenant_id", "actor_id", "actor_type", "action", "resource_type", "resource_id", "target_user_id", "role",
    "outcome", "occurred_at",
]  # fmt: skip


def test_administration_events_become_audit_events(settings, tmp_path):
    names = [
        "member.added", "membership.added", "team.created", "organization.member_added", "repository.created",
        "branch_protection_rule.created",
    ]  # fmt: skip
    deliveries = [wrap(n.split(".")[0], in_opsline(example(n)), f"d-{n}") for n in names]
    bot = in_opsline(example("repository.created"))
    bot["sender"].update(login="renovate[bot]", type="Bot")
    deliveries.append(wrap("repository", bot, "d-bot"))
    report = ingest_native(settings, "github", [write(tmp_path / "audit.jsonl", deliveries)])
    assert (report.read, report.accepted) == (7, 7)
    received = utc(RECEIVED)  # these payloads state no time of their own
    user = {
        "tenant_id": "t-platform",
        "actor_type": "user",
        "outcome": "success",
        "target_user_id": None,
        "role": None,
    }
    created = utc("2019-05-15T15:20:42Z")  # repository.created_at
    assert {k: pick(r, AUDIT_KEYS) for k, r in by_event(settings, "audit").items()} == {
        "github:d-member.added": user
        | {
            "actor_id": "hacktocat", "action": "github.member.added", "resource_type": "repository",
            "resource_id": REPO, "target_user_id": "hacktocat", "occurred_at": received,
        },
        "github:d-membership.added": user
        | {
            "actor_id": "Codertocat", "action": "github.membership.added", "resource_type": "team",
            "resource_id": "opsline/github", "target_user_id": "Codertocat", "occurred_at": received,
        },
        "github:d-team.created": user
        | {
            "actor_id": "Codertocat", "action": "github.team.created", "resource_type": "team",
            "resource_id": "opsline/github", "role": "pull", "occurred_at": received,
        },
        "github:d-organization.member_added": user
        | {
            "actor_id": "Codertocat", "action": "github.organization.member_added",
            "resource_type": "organization", "resource_id": "opsline", "target_user_id": "hacktocat",
            "role": "member", "occurred_at": received,
        },
        "github:d-repository.created": user
        | {
            "actor_id": "Codertocat", "action": "github.repository.created", "resource_type": "repository",
            "resource_id": REPO, "occurred_at": created,
        },
        "github:d-branch_protection_rule.created": user
        | {
            "actor_id": "wolfy1339", "action": "github.branch_protection_rule.created",
            "resource_type": "branch_protection_rule", "resource_id": f"{REPO}:main",
            "occurred_at": utc("2023-05-14T02:09:38Z"),  # rule.updated_at 2023-05-13T22:09:38.000-04:00
        },
        "github:d-bot": user
        | {
            "actor_id": "renovate[bot]", "actor_type": "service", "action": "github.repository.created",
            "resource_type": "repository", "resource_id": REPO, "occurred_at": created,
        },
    }  # fmt: skip


IGNORED = {
    "ping": ("ping", "ping"),
    "installation.created": ("installation", "installation"),
    "check_run.created": ("check_run", "check_run"),
    "issues.opened": ("issues", "issues"),
    "workflow_run.completed": ("workflow_run", "workflow_run"),
    "deployment.created": ("deployment", "deployment"),
    "pull_request.reopened": ("pull_request", "pull_request.reopened"),
    "push.tag": ("push", "push.tag"),
    "deployment_status.in_progress": ("deployment_status", "deployment_status.in_progress"),
}


def mixed_deliveries() -> list[dict]:
    """Accepted, ignored and quarantined deliveries, one of each kind."""
    accepted = [
        wrap("pull_request", in_opsline(example("pull_request.opened")), "d-opened"),
        wrap("push", in_opsline(example("push")), "d-push"),
        wrap("member", in_opsline(example("member.added")), "d-member"),
    ]
    ignored = [wrap(event, in_opsline(example(name)), f"d-{name}") for name, (event, _) in IGNORED.items()]
    deleted = in_opsline(example("push"))
    deleted.update(deleted=True, commits=[])
    empty = in_opsline(example("push"))
    empty["commits"] = []
    dismissed = in_opsline(example("pull_request_review.submitted"))
    dismissed["review"]["state"] = "dismissed"
    ignored += [
        wrap("push", deleted, "d-deleted"),
        wrap("push", empty, "d-empty"),
        wrap("pull_request_review", dismissed, "d-dismissed"),
    ]
    quarantined = [
        wrap("pull_request", example("pull_request.opened"), "d-unmapped-repo"),  # Codertocat/Hello-World
        wrap("membership", example("membership.added"), "d-unmapped-org"),  # Octocoders
        wrap("deployment_status", deployment(environment="github-pages", team="Team Falcon"), "d-env"),
        wrap("deployment_status", deployment(), "d-no-team"),  # no team in the seed row or the payload
        example("pull_request.opened"),  # bare: GitHub names the event and the delivery in headers only
        {"event": "pull_request", "delivery": None, "payload": in_opsline(example("pull_request.opened"))},
    ]
    return accepted + ignored + quarantined


def test_every_delivery_is_accepted_quarantined_with_a_reason_or_counted_as_ignored(settings, tmp_path):
    path = write(tmp_path / "mixed.jsonl", mixed_deliveries())
    result = opslake(settings, "ingest", "github", str(path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["read"] == report["accepted"] + report["duplicates"] + report["quarantined"] + sum(
        report["ignored"].values()
    )
    assert (report["read"], report["accepted"], report["duplicates"], report["quarantined"]) == (21, 3, 0, 6)
    assert report["reasons"] == {
        "unmapped_source:github:repository:Codertocat/Hello-World": 1,
        "unmapped_source:github:organization:Octocoders": 1,
        "not_in_seed:github_environments:github-pages": 1,
        "missing_field:team": 1,
        "not_a_payload:github:no event name (X-GitHub-Event wrapper)": 1,
        "missing_key:github:no delivery id (X-GitHub-Delivery wrapper)": 1,
    }
    assert report["ignored"] == {
        **{f"ignored:{kind}": 1 for _, kind in IGNORED.values()},
        "ignored:push.deleted": 1,
        "ignored:push.no_commits": 1,
        "ignored:pull_request_review.dismissed": 1,
    }
    assert {r["domain"] for r in read_quarantine(settings).to_pylist()} == {"delivery", "audit"}


def test_a_redelivery_is_a_duplicate(settings, tmp_path):
    first = write(tmp_path / "a.jsonl", mixed_deliveries())
    ingest_native(settings, "github", [first])
    again = ingest_native(settings, "github", [write(tmp_path / "b.jsonl", mixed_deliveries())])
    assert (again.read, again.accepted, again.duplicates) == (21, 0, 3)
    assert again.read == again.accepted + again.duplicates + again.quarantined + sum(again.ignored.values())
    assert read_bronze(settings, "delivery").num_rows == 2 and read_bronze(settings, "audit").num_rows == 1


@pytest.mark.parametrize("state", ["pending", "queued", "inactive", "waiting"])
def test_a_deployment_not_finished_is_ignored(settings, tmp_path, state):
    path = write(
        tmp_path / "d.jsonl", [wrap("deployment_status", deployment(state, team="Team Falcon"), "d")]
    )
    report = ingest_native(settings, "github", [path])
    assert report.ignored == {f"ignored:deployment_status.{state}": 1}


def test_the_receiver_s_closed_segments_are_ingested_with_delivery(settings):
    from ingestion.landing import ingest_landing, pending_files

    folder = settings.landing_dir("github")
    folder.mkdir(parents=True)
    segment = write(folder / "webhooks-20261102T100000-1.jsonl", mixed_deliveries())
    assert pending_files(settings, "delivery") == [segment]
    report = ingest_landing(settings, "delivery")
    assert (report.read, report.accepted) == (21, 3)
    assert read_bronze(settings, "audit").num_rows == 1
