"""The demo's work items as the webhooks of a Jira Cloud site, in the receiver's ``{"event", "delivery",
"payload"}`` wrapper, so that ``opslake ingest jira`` gives back the canonical facts.

One Jira project per ART (the ``jira`` rows of seed ``sources/source_tenants``, which give the ART back); an
item's key is numbered in its project when first seen, so a parent seen first as a child's parent gets its key
then (parents are always of the child's ART). The team is the Team field, the PI the first fix version, the
iteration the sprint's name. Issue types and statuses take the first name the seeds ``sources/jira_issue_types``
and ``sources/jira_statuses`` give each of ours. An item whose first record moves it (it existed before the feed)
is first seen by its update, as a webhook consumer would see it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from typing import Any

from ingestion.native import jira, seeds

SITE = "https://opsline.atlassian.net"
_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, SITE)
_HIERARCHY = {"epic": 2, "feature": 1}  # every other type is at the story level (0)


class JiraSite:
    """The Jira numbering of one demo run: keys, issue ids and changelog ids grow as records are converted, so
    call ``webhooks`` with the days' records in time order."""

    def __init__(self) -> None:
        jira_owners = [(key, o.art) for (source, key), o in seeds.owners().items() if source == "jira"]
        self.projects = {art: key for key, art in reversed(jira_owners)}  # the first project of each ART
        self.types = _first_names(seeds.jira_issue_types())
        self.statuses = _first_names(seeds.jira_statuses())
        self.keys: dict[str, str] = {}  # canonical work item id -> Jira key
        self.issue_ids: dict[str, str] = {}
        self.created: dict[str, str] = {}  # canonical id -> the Jira time it was first seen
        self.numbers: Counter[str] = Counter()
        self.changes = 0

    def webhooks(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The wrapped webhooks of the ``work_item`` records among ``records`` (one each, in their order)."""
        return [self._webhook(r) for r in records if r.get("record_type") == "work_item"]

    def _webhook(self, record: dict[str, Any]) -> dict[str, Any]:
        at = dt.datetime.fromisoformat(record["occurred_at"])
        created = record.get("from_state") is None
        issue = self._issue(record, at)
        payload: dict[str, Any] = {
            "timestamp": int(at.timestamp() * 1000),
            "webhookEvent": jira.CREATED if created else jira.UPDATED,
            "issue_event_type_name": "issue_created" if created else "issue_generic",
            "issue": issue,
        }
        if not created:
            self.changes += 1
            payload["changelog"] = {
                "id": str(100_000 + self.changes),
                "items": [self._status_item(record["from_state"], record["to_state"])],
            }
        return {
            "event": payload["webhookEvent"],
            "delivery": str(uuid.uuid5(_NAMESPACE, record["event_id"])),
            "payload": payload,
        }

    def _issue(self, record: dict[str, Any], at: dt.datetime) -> dict[str, Any]:
        key = self._key(record["work_item_id"], record["art"])
        issue_id = self.issue_ids[record["work_item_id"]]
        moment = _jira_time(at)
        parent = record.get("parent_id")
        fields: dict[str, Any] = {
            "summary": record["title"],
            "issuetype": {"name": self.types[record["work_item_type"]], "subtask": False}
            | {"hierarchyLevel": _HIERARCHY.get(record["work_item_type"], 0)},
            "project": {"key": key.rpartition("-")[0]},
            "status": self._status(record["to_state"]),
            "created": self.created.setdefault(record["work_item_id"], moment),
            "updated": moment,
            "fixVersions": [{"name": record["pi"]}] if record.get("pi") else [],
            jira.TEAM_FIELD: {"id": str(uuid.uuid5(_NAMESPACE, record["team"])), "name": record["team"]},
            jira.SPRINT_FIELD: [{"name": record["iteration"], "state": "active"}]
            if record.get("iteration")
            else None,
            jira.STORY_POINTS_FIELD: record.get("story_points"),
        }
        if parent:
            fields["parent"] = {"key": self._key(parent, record["art"])}
        return {"id": issue_id, "self": f"{SITE}/rest/api/3/issue/{issue_id}", "key": key, "fields": fields}

    def _key(self, work_item_id: str, art: str) -> str:
        if work_item_id not in self.keys:
            project = self.projects[art]
            self.numbers[project] += 1
            self.keys[work_item_id] = f"{project}-{self.numbers[project]}"
            self.issue_ids[work_item_id] = str(10_000 + len(self.keys))
        return self.keys[work_item_id]

    def _status(self, state: str) -> dict[str, Any]:
        return {"id": self._status_id(state), "name": self.statuses[state]}

    def _status_item(self, source: str, target: str) -> dict[str, Any]:
        return {
            "field": "status",
            "fieldtype": "jira",
            "fieldId": "status",
            "from": self._status_id(source),
            "fromString": self.statuses[source],
            "to": self._status_id(target),
            "toString": self.statuses[target],
        }

    def _status_id(self, state: str) -> str:
        return str(10_000 + list(self.statuses).index(state))


def _first_names(mapping: dict[str, str]) -> dict[str, str]:
    """Ours -> the first Jira name the seed maps to it."""
    first: dict[str, str] = {}
    for name, ours in mapping.items():
        first.setdefault(ours, name)
    return first


def _jira_time(moment: dt.datetime) -> str:
    """As Jira writes times: milliseconds and a ``+0000`` offset."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"
