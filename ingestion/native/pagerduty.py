"""PagerDuty v3 webhooks (``{"event": {"id", "event_type", "occurred_at", "agent", "data": <incident>}}``) as
incident events.

The lifecycle events give the status (``incident.reopened`` and ``incident.unacknowledged`` put the incident back
to triggered); ``incident.priority_updated`` and ``incident.custom_field_values.updated`` repeat its current status
with the new severity or cause. The PagerDuty service says our service name (seed ``sources/source_tenants``),
and the tenant when the service is dedicated to one; else the incident's custom field ``tenant_id`` names the
customer most affected. The priority (or, in an account without priorities, the urgency) the severity (seed
``sources/pagerduty_severities``), and a custom field ``caused_by_deployment_id`` the deployment that caused the
incident. The exactly-once key is the event's id: a redelivery of the same event is a duplicate.
"""

from __future__ import annotations

from typing import Any

from ingestion.native import seeds
from ingestion.native.outcomes import Delivery, Outcome, accepted, as_object, ignored, quarantined

DOMAIN = "incident"
LIFECYCLE = {
    "incident.triggered": "triggered",
    "incident.acknowledged": "acknowledged",
    "incident.unacknowledged": "triggered",
    "incident.resolved": "resolved",
    "incident.reopened": "triggered",
}
CURRENT_STATE = ("incident.priority_updated", "incident.custom_field_values.updated")
CAUSE_FIELD = "caused_by_deployment_id"  # the incident custom field naming the causing deployment
TENANT_FIELD = "tenant_id"  # the incident custom field naming the customer most affected
RESPONSES = ("acknowledged", "resolved")


def adapt(delivery: Delivery) -> list[Outcome]:
    return [_outcome(delivery)]


def _outcome(delivery: Delivery) -> Outcome:
    event = delivery.payload.get("event")
    if not isinstance(event, dict):
        return quarantined(DOMAIN, "not_a_payload:pagerduty:no event object")
    kind = event.get("event_type")
    if kind not in LIFECYCLE and kind not in CURRENT_STATE:
        return ignored(DOMAIN, str(kind))
    data = as_object(event.get("data"))
    service_id = as_object(data.get("service")).get("id")
    owner = seeds.owner("pagerduty", service_id)
    if owner is None:
        return quarantined(DOMAIN, f"unmapped_source:pagerduty:service:{service_id}")
    tenant = owner.tenant_id or _custom_field(data, TENANT_FIELD)
    if tenant is None:
        return quarantined(DOMAIN, f"unmapped_tenant:pagerduty:service:{service_id}")
    severity, unknown = _severity(data)
    if unknown:
        return quarantined(DOMAIN, f"not_in_seed:pagerduty_severities:{unknown}")
    status = LIFECYCLE.get(kind) or data.get("status")
    agent = as_object(event.get("agent"))
    return accepted(
        DOMAIN,
        {
            "event_id": f"pagerduty:{event['id']}" if event.get("id") else None,
            "occurred_at": event.get("occurred_at"),
            "tenant_id": tenant,
            "incident_id": data.get("id"),
            "status": status,
            "severity": severity,
            "service": owner.service,
            "title": data.get("title"),
            "responder_id": agent.get("id")
            if status in RESPONSES and agent.get("type") == "user_reference"
            else None,
            "caused_by_deployment_id": _custom_field(data, CAUSE_FIELD),
            "source": "pagerduty",
        },
    )


def _severity(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """The severity, and the PagerDuty value the seed does not know (if any)."""
    value = as_object(data.get("priority")).get("summary") or data.get("urgency")
    if value is None:
        return None, None  # the contract's check names the missing severity
    severity = seeds.pagerduty_severities().get(value)
    return severity, None if severity else str(value)


def _custom_field(data: dict[str, Any], name: str) -> str | None:
    fields = data.get("custom_fields")
    for field in fields if isinstance(fields, list) else []:
        if isinstance(field, dict) and field.get("name") == name and field.get("value"):
            return str(field["value"])
    return None
