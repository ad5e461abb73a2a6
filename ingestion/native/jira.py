"""Jira Cloud webhooks and REST changelogs as delivery ``work_item`` records: one per status an issue enters.

Webhooks (``webhookEvent`` in the body; the receiver's wrapper may name it too): ``jira:issue_created`` gives the
issue's first status (``jira:created:<issue id>``); ``jira:issue_updated`` one record per ``status`` item of its
changelog (``jira:changelog:<history id>``, suffixed ``:<n>``, the item's rank among the history's status items,
when one change moved the status twice); an update without a status change and every other event are ignored by
name. REST: an issue fetched with ``expand=changelog``, or a page of ``GET /rest/api/3/issue/{key}/changelog``
with the issue under ``"issue"`` (the page alone does not say which issue, and is quarantined), gives the
creation record (its first status is the first status change's ``fromString``) and one record per status item of
its histories, under the same keys: the same change seen by a webhook and by REST is one event.

The time is Jira's own for the change (the history's ``created``; on a webhook the issue's ``updated`` or
``created``, which Jira sets to the same instant), else the webhook's ``timestamp``. The other fields are the
issue's as the payload shows them: on a REST issue, its current ones, so a REST change already received by webhook
with fields changed since is quarantined (``conflicting_duplicate``); fetch REST changelogs to backfill what the
webhooks did not see. Tenant and ART are the project's (seed ``sources/source_tenants``: Jira has no ART), the
team the issue's Team field, else the project's; issue types and statuses are mapped by the seeds
``sources/jira_issue_types`` and ``sources/jira_statuses``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ingestion.native import seeds
from ingestion.native.outcomes import Delivery, Outcome, accepted, as_object, ignored, quarantined

DOMAIN = "delivery"
CREATED, UPDATED = "jira:issue_created", "jira:issue_updated"
# Jira Cloud's default ids of the custom fields read; a site whose fields have other ids changes them here.
TEAM_FIELD = "customfield_10001"  # Team: {"id", "name", ...}
SPRINT_FIELD = "customfield_10020"  # Sprint: the issue's sprints, the latest last
STORY_POINTS_FIELD = "customfield_10016"  # Story point estimate
JIRA_TIME = "%Y-%m-%dT%H:%M:%S.%f%z"  # as Jira writes times: 2026-09-14T08:15:02.123+0000


def adapt(delivery: Delivery) -> list[Outcome]:
    payload = delivery.payload
    kind = delivery.event or payload.get("webhookEvent")
    if kind is not None:
        return _webhook(str(kind), payload)
    if isinstance(payload.get("fields"), dict):
        return _histories(payload, as_object(payload.get("changelog")).get("histories"))
    if "values" in payload:
        issue = payload.get("issue")
        if not isinstance(issue, dict):
            return [quarantined(DOMAIN, "not_a_payload:jira:changelog page without its issue")]
        return _histories(issue, payload["values"])
    return [quarantined(DOMAIN, "not_a_payload:jira:no webhookEvent, issue or changelog page")]


def _webhook(kind: str, payload: dict[str, Any]) -> list[Outcome]:
    if kind not in (CREATED, UPDATED):
        return [ignored(DOMAIN, kind)]
    changelog = as_object(payload.get("changelog"))
    if kind == UPDATED and not _status_items(changelog):
        return [ignored(DOMAIN, f"{UPDATED}.no_status_change")]
    issue = as_object(payload.get("issue"))
    fields = as_object(issue.get("fields"))
    head = _issue_head(issue)
    if isinstance(head, Outcome):
        return [head]
    if kind == CREATED:
        at = _time(fields.get("created")) or _epoch_ms(payload.get("timestamp"))
        return [_created(head, issue, as_object(fields.get("status")).get("name"), at)]
    return _moves(head, changelog, _time(fields.get("updated")) or _epoch_ms(payload.get("timestamp")))


def _histories(issue: dict[str, Any], histories: object) -> list[Outcome]:
    head = _issue_head(issue)
    if isinstance(head, Outcome):
        return [head]
    fields = as_object(issue.get("fields"))
    changes = sorted(
        (h for h in histories if isinstance(h, dict)) if isinstance(histories, list) else [],
        key=lambda h: _time(h.get("created")) or "",
    )
    moves = [m for h in changes for m in _moves(head, h, _time(h.get("created")))]
    first = next((i for h in changes for i in _status_items(h)), None)
    status = first.get("fromString") if first else as_object(fields.get("status")).get("name")
    return [_created(head, issue, status, _time(fields.get("created"))), *moves]


def _issue_head(issue: dict[str, Any]) -> dict[str, Any] | Outcome:
    """The fields every record of the issue carries, or why none can be made."""
    fields = as_object(issue.get("fields"))
    key = issue.get("key")
    project = as_object(fields.get("project")).get("key") or (str(key).rpartition("-")[0] if key else None)
    owner = seeds.owner("jira", project)
    if owner is None:
        return quarantined(DOMAIN, f"unmapped_source:jira:project:{project}")
    if owner.tenant_id is None:
        return quarantined(DOMAIN, f"unmapped_tenant:jira:project:{project}")
    type_name = as_object(fields.get("issuetype")).get("name")
    work_item_type = seeds.jira_issue_types().get(type_name)
    if work_item_type is None:
        return quarantined(DOMAIN, f"not_in_seed:jira_issue_types:{type_name}")
    versions, sprints = fields.get("fixVersions"), fields.get(SPRINT_FIELD)
    return {
        "tenant_id": owner.tenant_id,
        "record_type": "work_item",
        "art": owner.art,
        "team": as_object(fields.get(TEAM_FIELD)).get("name") or owner.team,
        "pi": as_object(versions[0]).get("name") if isinstance(versions, list) and versions else None,
        "iteration": as_object(sprints[-1]).get("name") if isinstance(sprints, list) and sprints else None,
        "work_item_id": key,
        "work_item_type": work_item_type,
        "parent_id": as_object(fields.get("parent")).get("key"),
        "title": fields.get("summary"),
        "story_points": fields.get(STORY_POINTS_FIELD),
    }


def _created(head: dict[str, Any], issue: dict[str, Any], status: object, at: str | None) -> Outcome:
    issue_id = issue.get("id")
    return _record(head, f"jira:created:{issue_id}" if issue_id else None, at, None, status)


def _moves(head: dict[str, Any], history: dict[str, Any], at: str | None) -> list[Outcome]:
    """One record per status item of a changelog history (a webhook's ``changelog`` or a REST history)."""
    items = _status_items(history)
    base = f"jira:changelog:{history['id']}" if history.get("id") else None
    return [
        _record(
            head,
            f"{base}:{i}" if base and len(items) > 1 else base,
            at,
            item.get("fromString"),
            item.get("toString"),
        )
        for i, item in enumerate(items)
    ]


def _status_items(history: dict[str, Any]) -> list[dict[str, Any]]:
    items = history.get("items")
    return (
        [i for i in items if isinstance(i, dict) and i.get("field") == "status"]
        if isinstance(items, list)
        else []
    )


def _record(
    head: dict[str, Any], event_id: str | None, at: str | None, source: object, target: object
) -> Outcome:
    statuses = seeds.jira_statuses()
    for name in (source, target) if source is not None else (target,):
        if name not in statuses:
            return quarantined(DOMAIN, f"not_in_seed:jira_statuses:{name}")
    return accepted(
        DOMAIN,
        {
            "event_id": event_id,
            "occurred_at": at,
            **head,
            "from_state": statuses.get(source),
            "to_state": statuses[target],
        },
    )


def _time(value: object) -> str | None:
    """Jira's time (``+0000`` offsets, any zone) as ISO 8601 UTC; a value not in Jira's form is left for the
    contract to judge."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return _iso(dt.datetime.strptime(value, JIRA_TIME))
    except ValueError:
        return value


def _epoch_ms(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return _iso(dt.datetime.fromtimestamp(value / 1000, dt.UTC))


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
