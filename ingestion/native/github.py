"""GitHub webhooks (in the receiver's wrapper: ``event`` from ``X-GitHub-Event``, ``delivery`` from
``X-GitHub-Delivery``) as delivery and audit records.

GitHub names the event and the delivery in headers only, so a bare payload cannot be mapped (quarantined). The
exactly-once key is ``github:<delivery>``: a redelivery is a duplicate. The tenant is the reviewed seed
``sources/source_tenants``' row ``(github, <owner>/<repo>)``, else ``(github, <organization or owner login>)``.
``repository`` is the full name ``owner/repo``: names are unique only within an owner, and the seed, ``pr_id``
(``<owner>/<repo>#<number>``) and the push-to-pull-request join all key on it. GitHub logins are the people ids of
GitHub events (authors, reviewers, commit authors, actors): the contracts want one id per account in every
source, so a tenant whose other sources use other ids must send those ids instead.

- ``pull_request`` opened, closed with ``merged`` (``merged``) or without (``closed``), at the pull request's own
  times; ``reopened`` and other actions are ignored (the marts read the first opening, and what follows a reopening
  is its own event). ``branch`` is the head branch.
- ``pull_request_review`` submitted: approved, changes_requested, or commented (``reviewed``).
- ``push`` to a branch: its commits (sha, time, author login; never emails, names or messages), since GitHub's
  pull request payloads carry no commit list: a merged pull request gets the commits pushed to its branch (dbt).
- ``deployment_status`` success, or failure and error (``failure``); other states are not outcomes. The environment
  is the seed ``sources/github_environments``'. Our deploy tooling's convention is the deployment's free-form
  ``payload``: ``{"pr_ids": ["<owner>/<repo>#<n>" or <n> of this repository], "service": ..., "team": ...}``;
  service and team default to the repository's seed row. Without ``pr_ids`` a deployment ships no change for the
  marts: no lead time and no change-approval test for what it shipped (it counts as a redeploy).
- ``member``, ``membership``, ``team``, ``organization``, ``repository`` and ``branch_protection_rule``: audit
  events ``github.<event>.<action>``, at the payload's own time where it states one, else when received.
- Everything else is ``ignored:<event>``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from ingestion.native import seeds
from ingestion.native.outcomes import Delivery, Outcome, accepted, as_object, ignored, quarantined

DELIVERY, AUDIT = "delivery", "audit"
DOMAINS = (DELIVERY, AUDIT)
SOURCE = "github"
REVIEW_STATES = {"approved": "approved", "changes_requested": "changes_requested", "commented": "reviewed"}
DEPLOYMENT_OUTCOMES = {"success": "success", "failure": "failure", "error": "failure"}
BRANCH_REF = "refs/heads/"

Mapped = Outcome | dict[str, Any]  # an outcome decided by the payload alone, or the record without its tenant


def adapt(delivery: Delivery) -> list[Outcome]:
    return [_outcome(delivery)]


def _outcome(delivery: Delivery) -> Outcome:
    if not delivery.event:
        return quarantined(DELIVERY, "not_a_payload:github:no event name (X-GitHub-Event wrapper)")
    if not delivery.delivery:
        return quarantined(DELIVERY, "missing_key:github:no delivery id (X-GitHub-Delivery wrapper)")
    domain, mapper = _MAPPERS.get(delivery.event, (DELIVERY, None))
    if mapper is None:
        return ignored(DELIVERY, delivery.event)
    mapped = mapper(delivery)
    if isinstance(mapped, Outcome):
        return mapped
    owner, unmapped = _owner(delivery.payload)
    if owner is None:
        return quarantined(domain, unmapped)
    if mapped.get("record_type") == "deployment":
        mapped |= {
            "service": mapped.get("service") or owner.service,
            "team": mapped.get("team") or owner.team,
        }
    return accepted(
        domain, {"event_id": f"github:{delivery.delivery}", "tenant_id": owner.tenant_id, **mapped}
    )


def _owner(payload: dict[str, Any]) -> tuple[seeds.Owner | None, str]:
    """The seed row of the repository, else of its organization or owner; or why there is none."""
    repository = as_object(payload.get("repository"))
    full_name = repository.get("full_name")
    login = as_object(payload.get("organization")).get("login") or as_object(repository.get("owner")).get(
        "login"
    )
    owner = seeds.owner(SOURCE, full_name) or seeds.owner(SOURCE, login)
    if owner is not None and owner.tenant_id:
        return owner, ""
    kind, key = ("repository", full_name) if full_name else ("organization", login)
    return None, f"{'unmapped_tenant' if owner else 'unmapped_source'}:github:{kind}:{key}"


def _pull_request(delivery: Delivery) -> Mapped:
    payload = delivery.payload
    pr, action = as_object(payload.get("pull_request")), payload.get("action")
    if action == "opened":
        return _pr_record(payload, "opened", pr.get("created_at")) | {"body": pr.get("body")}
    if action == "closed" and pr.get("merged"):
        record = _pr_record(payload, "merged", pr.get("merged_at"))
        return record | {"merge_commit_sha": pr.get("merge_commit_sha")}
    if action == "closed":
        return _pr_record(payload, "closed", pr.get("closed_at"))
    return ignored(DELIVERY, f"pull_request.{action}")


def _review(delivery: Delivery) -> Mapped:
    payload = delivery.payload
    review, action = as_object(payload.get("review")), payload.get("action")
    if action != "submitted":
        return ignored(DELIVERY, f"pull_request_review.{action}")
    state = str(review.get("state")).lower()  # webhooks send lower case, the REST API upper case
    if state not in REVIEW_STATES:
        return ignored(DELIVERY, f"pull_request_review.{state}")
    record = _pr_record(payload, REVIEW_STATES[state], review.get("submitted_at"))
    return record | {"reviewer_id": _login(review.get("user"))}


def _pr_record(payload: dict[str, Any], pr_action: str, occurred_at: object) -> dict[str, Any]:
    pr, full_name = as_object(payload.get("pull_request")), _full_name(payload)
    return {
        "record_type": "pull_request",
        "occurred_at": occurred_at,
        "pr_id": f"{full_name}#{pr.get('number') or payload.get('number')}",
        "repository": full_name,
        "branch": as_object(pr.get("head")).get("ref"),
        "pr_action": pr_action,
        "author_id": _login(pr.get("user")),
        "title": pr.get("title"),
    }


def _push(delivery: Delivery) -> Mapped:
    payload = delivery.payload
    ref = str(payload.get("ref") or "")
    if payload.get("deleted"):
        return ignored(DELIVERY, "push.deleted")
    if not ref.startswith(BRANCH_REF):
        return ignored(DELIVERY, "push.tag" if ref.startswith("refs/tags/") else "push.not_a_branch")
    commits = [
        {
            "sha": c.get("id"),
            "committed_at": c.get("timestamp"),
            "author_id": as_object(c.get("author")).get("username"),
        }
        for c in payload.get("commits") or []
        if isinstance(c, dict)
    ]
    if not commits:
        return ignored(DELIVERY, "push.no_commits")
    return {
        "record_type": "push",
        "occurred_at": _epoch_or_text(as_object(payload.get("repository")).get("pushed_at"))
        or delivery.received_at,
        "repository": _full_name(payload),
        "branch": ref.removeprefix(BRANCH_REF),
        "commits": [{k: v for k, v in c.items() if v is not None} for c in commits],
    }


def _deployment_status(delivery: Delivery) -> Mapped:
    payload = delivery.payload
    status, deployment = as_object(payload.get("deployment_status")), as_object(payload.get("deployment"))
    state = status.get("state")
    if state not in DEPLOYMENT_OUTCOMES:
        return ignored(DELIVERY, f"deployment_status.{state}")
    name = status.get("environment") or deployment.get("environment")
    environment = seeds.github_environments().get(str(name))
    if environment is None:
        return quarantined(DELIVERY, f"not_in_seed:github_environments:{name}")
    convention, full_name = _deploy_payload(deployment.get("payload")), _full_name(payload)
    return {
        "record_type": "deployment",
        "occurred_at": status.get("created_at"),
        "deployment_id": str(deployment["id"]) if deployment.get("id") is not None else None,
        "repository": full_name,
        "service": convention.get("service"),
        "team": convention.get("team"),
        "environment": environment,
        "deployment_status": DEPLOYMENT_OUTCOMES[state],
        "started_at": deployment.get("created_at"),
        "pr_ids": _pr_ids(convention.get("pr_ids"), full_name),
    }


def _deploy_payload(value: object) -> dict[str, Any]:
    """The deployment's ``payload``: an object, or (as the REST API also accepts) a JSON string of one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return as_object(value)


def _pr_ids(value: object, full_name: str | None) -> list[str] | None:
    """``<owner>/<repo>#<n>`` as given; a bare number (or ``#<n>``) is a pull request of the deployed repository."""
    if not isinstance(value, list):
        return None
    ids = []
    for item in value:
        text = str(item).strip()
        ids.append(f"{full_name}#{text.lstrip('#')}" if text.lstrip("#").isdigit() else text)
    return ids


def _audit(delivery: Delivery) -> Mapped:
    payload, event = delivery.payload, delivery.event
    action, sender = payload.get("action"), as_object(payload.get("sender"))
    resource_type, resource_id, target, role = _audited(str(event), payload)
    return {
        "occurred_at": _stated_time(str(event), payload) or delivery.received_at,
        "actor_id": sender.get("login"),
        "actor_type": "service" if sender.get("type") == "Bot" else "user",
        "action": f"github.{event}.{action}" if action else f"github.{event}",
        "resource_type": resource_type,
        "resource_id": resource_id,
        "target_user_id": target,
        "role": role,
        "outcome": "success",
    }


def _audited(event: str, payload: dict[str, Any]) -> tuple[str, str | None, str | None, str | None]:
    """The resource acted on (type, id), the user affected and the role or permission, where the event has them."""
    org = as_object(payload.get("organization")).get("login")
    team = as_object(payload.get("team"))
    changes = as_object(as_object(payload.get("changes")).get("permission"))
    if event == "member":  # a collaborator of a repository
        return "repository", _full_name(payload), _login(payload.get("member")), changes.get("to")
    if event == "membership":  # a member of a team
        return "team", f"{org}/{team.get('slug')}", _login(payload.get("member")), None
    if event == "team":
        return "team", f"{org}/{team.get('slug')}", None, team.get("permission")
    if event == "organization":
        membership = as_object(payload.get("membership"))
        invitation = as_object(payload.get("invitation"))
        target = _login(membership.get("user")) or invitation.get("login") or _login(payload.get("user"))
        return "organization", org, target, membership.get("role") or invitation.get("role")
    if event == "branch_protection_rule":
        return (
            "branch_protection_rule",
            f"{_full_name(payload)}:{as_object(payload.get('rule')).get('name')}",
            None,
            None,
        )
    return "repository", _full_name(payload), None, None


def _stated_time(event: str, payload: dict[str, Any]) -> str | None:
    """The event's time where the payload states it: a rule's last change, a repository's creation."""
    action = payload.get("action")
    if event == "branch_protection_rule" and action in ("created", "edited"):
        return as_object(payload.get("rule")).get("updated_at")
    if event == "repository" and action == "created":
        return as_object(payload.get("repository")).get("created_at")
    return None


def _full_name(payload: dict[str, Any]) -> str | None:
    return as_object(payload.get("repository")).get("full_name")


def _login(user: object) -> str | None:
    return as_object(user).get("login")


def _epoch_or_text(value: object) -> str | None:
    """A push payload's ``pushed_at`` is seconds since the epoch; elsewhere GitHub writes ISO 8601."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.UTC).isoformat().replace("+00:00", "Z")
    return value if isinstance(value, str) else None


_MAPPERS: dict[str, tuple[str, Callable[[Delivery], Mapped] | None]] = {
    "pull_request": (DELIVERY, _pull_request),
    "pull_request_review": (DELIVERY, _review),
    "push": (DELIVERY, _push),
    "deployment_status": (DELIVERY, _deployment_status),
    # The outcome arrives with deployment_status, which embeds the deployment.
    "deployment": (DELIVERY, None),
    # A workflow job with an `environment:` creates a deployment and its deployment_status events, which carry the
    # outcome; the run itself says nothing the marts read.
    "workflow_run": (DELIVERY, None),
    **{
        event: (AUDIT, _audit)
        for event in ("member", "membership", "team", "organization", "repository", "branch_protection_rule")
    },
}
