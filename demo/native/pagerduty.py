"""Canonical incident records as PagerDuty v3 webhooks: the inverse of ``ingestion.native.pagerduty``.

Only the incidents PagerDuty raised (``source`` pagerduty) are sent this way; a monitor's incidents stay canonical.
The service is named by its PagerDuty service id and the severity by its priority (the reverse of the seeds the
adapter reads), the tenant and the causing deployment by the incident's custom fields. The incident's free-text
summary has no place in a lifecycle webhook and is not sent.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from ingestion.native import pagerduty, seeds

SOURCE = "pagerduty"
EVENT_TYPES = {
    "triggered": "incident.triggered",
    "acknowledged": "incident.acknowledged",
    "resolved": "incident.resolved",
}


def sent_by_pagerduty(record: dict[str, Any]) -> bool:
    return record.get("source") == SOURCE


def to_pagerduty(record: dict[str, Any], deployment_id: Callable[[str], str]) -> dict[str, Any]:
    """The webhook delivery (the receiver's wrapper) of one canonical incident record (its event id set);
    ``deployment_id`` names a canonical deployment as the deployment source names it."""
    event_id = _pagerduty_id(record["event_id"])
    status = record["status"]
    custom = [{"name": pagerduty.TENANT_FIELD, "value": record["tenant_id"]}]
    if record.get("caused_by_deployment_id"):
        custom.append(
            {"name": pagerduty.CAUSE_FIELD, "value": deployment_id(record["caused_by_deployment_id"])}
        )
    responder = record.get("responder_id")
    agent = (
        {"id": responder, "type": "user_reference", "summary": responder}
        if responder
        else {"id": "PINTGR1", "type": "inbound_integration_reference", "summary": "Monitoring"}
    )
    payload = {
        "event": {
            "id": event_id,
            "event_type": EVENT_TYPES[status],
            "resource_type": "incident",
            "occurred_at": record["occurred_at"],
            "agent": agent,
            "client": {"name": "PagerDuty"},
            "data": {
                "id": record["incident_id"],
                "type": "incident",
                "status": status,
                "title": record.get("title"),
                "service": {"id": _service_ids()[record["service"]], "type": "service_reference"},
                "priority": {"summary": _priorities()[record["severity"]], "type": "priority_reference"},
                "urgency": "high" if record["severity"] in ("sev1", "sev2") else "low",
                "custom_fields": custom,
            },
        }
    }
    return {"event": None, "delivery": event_id, "payload": payload}


def _pagerduty_id(canonical_id: str) -> str:
    """A ULID-like id (PagerDuty's event ids are 26 upper-case characters), stable for the canonical id."""
    digest = hashlib.blake2b(canonical_id.encode(), digest_size=16).hexdigest().upper()
    return digest[:26]


@functools.cache
def _service_ids() -> dict[str, str]:
    return {o.service: key for (source, key), o in seeds.owners().items() if source == SOURCE and o.service}


@functools.cache
def _priorities() -> dict[str, str]:
    """Our severity -> the first PagerDuty priority the seed maps to it."""
    out: dict[str, str] = {}
    for value, severity in seeds.pagerduty_severities().items():
        if value.startswith("P"):
            out.setdefault(severity, value)
    return out
