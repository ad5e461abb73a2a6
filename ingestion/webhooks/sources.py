"""The webhook sources, the one place that says how each names its events and deliveries and how it signs them.

GitHub signs with ``X-Hub-Signature-256: sha256=<hex>`` (its SHA-1 header is not accepted), PagerDuty with
``X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]`` (one signature per active secret), Jira with
``X-Hub-Signature: sha256=<hex>``; each an HMAC-SHA256 of the raw body.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    name: str
    signature_header: str
    signature_prefix: str  # each signature in the header is written <prefix><hex>
    event_header: str | None  # where the event type is when not in the body
    delivery_header: str | None  # the sender's delivery id (a retry repeats it)
    event_required: bool = False  # GitHub names the event in the header only


SOURCES = {
    s.name: s
    for s in (
        Source("github", "x-hub-signature-256", "sha256=", "x-github-event", "x-github-delivery", True),
        Source("pagerduty", "x-pagerduty-signature", "v1=", None, "x-webhook-id"),
        Source("jira", "x-hub-signature", "sha256=", None, "x-atlassian-webhook-identifier"),
    )
}
