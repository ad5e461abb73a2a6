"""The generator's native format: what a real installation receives from GitHub, Jira and PagerDuty, written as
those systems send it (the webhook receiver's wrapper ``{"event", "delivery", "payload"}``), so a demo run goes
through the same adapters. Pull requests and deployments become GitHub webhooks, work items Jira webhooks, and the
incidents PagerDuty raised PagerDuty webhooks; PI objectives and monitors' incidents have no such source and stay
canonical.
"""

from __future__ import annotations

from typing import Any

from demo.native.github import deployment_number, to_github
from demo.native.jira import JiraSite
from demo.native.pagerduty import sent_by_pagerduty, to_pagerduty
from ingestion.webhooks.journal import RECEIVED_AT

GITHUB_RECORDS = ("pull_request", "deployment")


class NativeFeed:
    """Splits each day's canonical records (event ids set, in time order) into those that stay canonical and the
    deliveries of each native source; a source's ids (Jira keys) stay consistent across days."""

    sources = ("github", "jira", "pagerduty")

    def __init__(self) -> None:
        self.jira = JiraSite()

    def split(self, records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, list[dict]]]:
        kept: list[dict[str, Any]] = []
        native: dict[str, list[dict]] = {}
        for record in records:
            source, deliveries = self._native(record)
            if source is None:
                if record.get("caused_by_deployment_id"):  # a monitor's incident names the GitHub deployment
                    record["caused_by_deployment_id"] = _deployment_id(record["caused_by_deployment_id"])
                kept.append(record)
                continue
            for delivery in deliveries:  # received as it happened, as the receiver would have landed it
                delivery.setdefault(RECEIVED_AT, record["occurred_at"])
            native.setdefault(source, []).extend(deliveries)
        return kept, native

    def _native(self, record: dict[str, Any]) -> tuple[str | None, list[dict]]:
        """The source that sends ``record`` and its deliveries, or (None, []) when it stays canonical."""
        kind = record.get("record_type")
        if kind in GITHUB_RECORDS:
            return "github", to_github(record)
        if kind == "work_item":
            return "jira", self.jira.webhooks([record])
        if kind is None and sent_by_pagerduty(record):
            return "pagerduty", [to_pagerduty(record, _deployment_id)]
        return None, []


def _deployment_id(canonical_id: str) -> str:
    """A deployment as incidents name it: GitHub's deployment id."""
    return str(deployment_number(canonical_id))
