"""Canonical delivery records as the GitHub webhook deliveries that say the same, in the receiver's wrapper.

The demo's engineering organisation is the GitHub organisation ``opsline``: repository ``<repo>`` is
``opsline/<repo>``, pull request ``<repo>/pr-<n>`` is ``opsline/<repo>#<n>`` on its own branch, and deployment
``dep-<n>`` is GitHub deployment ``deployment_number`` (which the PagerDuty converter names as the cause of
incidents). A merged pull request is a push of its commits to its branch, then the merge; a deployment is the
``deployment_status`` of its outcome, whose deployment carries our deploy tooling's ``payload`` (``pr_ids``,
``service``, ``team``). Delivery ids derive from the canonical event ids, so the same records give the same files.
"""

from __future__ import annotations

import calendar
import re
import time
import uuid
from typing import Any

ORG = "opsline"
# Delivery ids are uuid5s of the canonical event ids in this namespace.
_NAMESPACE = uuid.UUID("6f1d3c52-8a0e-4f5e-9d61-2b7a4c0e9f13")
_DEPLOYMENT_BASE = 1_000_000_000  # GitHub deployment ids are large integers
_REVIEW_STATES = {"approved": "approved", "changes_requested": "changes_requested", "reviewed": "commented"}
_DEPLOYER = {"login": "opsline-deployer[bot]", "type": "Bot"}


def to_github(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The wrappers ``{"event", "delivery", "received_at", "payload"}`` of one canonical ``pull_request`` or
    ``deployment`` record, in the order GitHub would send them."""
    if record["record_type"] == "deployment":
        return [_wrap(record, "deployment_status", _deployment_status(record))]
    action = record["pr_action"]
    if action in _REVIEW_STATES:
        return [_wrap(record, "pull_request_review", _review(record))]
    wrappers = [_wrap(record, "push", _push(record))] if action == "merged" and record.get("commits") else []
    return [*wrappers, _wrap(record, "pull_request", _pull_request(record))]


def deployment_number(canonical_deployment_id: str) -> int:
    """The GitHub deployment id of the demo's ``dep-<n>``."""
    found = re.fullmatch(r"dep-(\d+)", canonical_deployment_id)
    if found is None:
        raise ValueError(f"not a demo deployment id: {canonical_deployment_id!r} (expected dep-<n>)")
    return _DEPLOYMENT_BASE + int(found[1])


def pr_number(canonical_pr_id: str) -> tuple[str, int]:
    """The repository and number of the demo's ``<repo>/pr-<n>``."""
    repo, _, n = canonical_pr_id.rpartition("/pr-")
    return repo, int(n)


def branch(canonical_pr_id: str) -> str:
    """The head branch of a demo pull request: one branch per pull request."""
    return f"change/pr-{pr_number(canonical_pr_id)[1]}"


def _wrap(record: dict[str, Any], event: str, payload: dict[str, Any]) -> dict[str, Any]:
    delivery = uuid.uuid5(_NAMESPACE, f"{record['event_id']}/{event}")
    return {
        "event": event,
        "delivery": str(delivery),
        "received_at": record["occurred_at"],
        "payload": payload,
    }


def _pull_request(record: dict[str, Any]) -> dict[str, Any]:
    action, at = record["pr_action"], record["occurred_at"]
    pr = _pr_object(record) | {"state": "open" if action == "opened" else "closed", "updated_at": at}
    if action == "opened":
        pr |= {"created_at": at, "body": record.get("body"), "merged": False}
    else:
        merged = action == "merged"
        pr |= {"closed_at": at, "merged": merged, "merged_at": at if merged else None}
        pr |= {"merge_commit_sha": record.get("merge_commit_sha")} if merged else {}
    return {
        "action": "opened" if action == "opened" else "closed",
        "number": pr["number"],
        "pull_request": pr,
        **_where(record["repository"], record["author_id"]),
    }


def _review(record: dict[str, Any]) -> dict[str, Any]:
    review = {
        "user": _user(record["reviewer_id"]),
        "state": _REVIEW_STATES[record["pr_action"]],
        "submitted_at": record["occurred_at"],
        "body": None,
    }
    return {
        "action": "submitted",
        "review": review,
        "pull_request": _pr_object(record) | {"state": "open"},
        **_where(record["repository"], record["reviewer_id"]),
    }


def _push(record: dict[str, Any]) -> dict[str, Any]:
    """The push of a merged pull request's commits to its branch, just before the merge: the canonical record
    carries them on the merge, so no event of the pull request is dated before the feed that holds it begins."""
    commits = [
        {
            "id": c["sha"],
            "distinct": True,
            "timestamp": c["committed_at"],
            "author": {"username": c["author_id"]},
        }
        for c in record["commits"]
    ]
    pushed_at = max(
        *(_epoch(c["committed_at"]) for c in record["commits"]), _epoch(record["occurred_at"]) - 1
    )
    where = _where(record["repository"], record["author_id"])
    where["repository"]["pushed_at"] = pushed_at
    return {
        "ref": f"refs/heads/{branch(record['pr_id'])}",
        "before": "0" * 40,
        "after": commits[-1]["id"],
        "created": True,
        "deleted": False,
        "forced": False,
        "commits": commits,
        "head_commit": commits[-1],
        "pusher": {"name": record["author_id"]},
        **where,
    }


def _deployment_status(record: dict[str, Any]) -> dict[str, Any]:
    repo, number = record["repository"], deployment_number(record["deployment_id"])
    pr_ids = [n if r == repo else f"{ORG}/{r}#{n}" for r, n in map(pr_number, record.get("pr_ids") or [])]
    deployment = {
        "id": number,
        "ref": "main",
        "task": "deploy",
        "payload": {"pr_ids": pr_ids, "service": record["service"], "team": record["team"]},
        "environment": record["environment"],
        "created_at": record["started_at"],
        "updated_at": record["occurred_at"],
        "creator": _DEPLOYER,
    }
    status = {
        "id": uuid.uuid5(_NAMESPACE, record["event_id"]).int % _DEPLOYMENT_BASE,
        "state": record["deployment_status"],
        "environment": record["environment"],
        "created_at": record["occurred_at"],
        "updated_at": record["occurred_at"],
        "creator": _DEPLOYER,
    }
    return {"action": "created", "deployment_status": status, "deployment": deployment, **_where(repo, None)}


def _pr_object(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "number": pr_number(record["pr_id"])[1],
        "title": record.get("title"),
        "user": _user(record["author_id"]),
        "head": {"ref": branch(record["pr_id"])},
        "base": {"ref": "main"},
    }


def _where(repo: str, sender: str | None) -> dict[str, Any]:
    """The repository, organization and sender objects every repository event carries."""
    return {
        "repository": {
            "name": repo,
            "full_name": f"{ORG}/{repo}",
            "owner": {"login": ORG, "type": "Organization"},
        },
        "organization": {"login": ORG},
        "sender": _user(sender) if sender else _DEPLOYER,
    }


def _user(login: str) -> dict[str, str]:
    return {"login": login, "type": "User"}


def _epoch(text: str) -> int:
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))
