"""What a native payload becomes: a canonical record, a quarantine reason, or an ignored kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Delivery:
    """One payload as delivered: the file wrapper ``{"event", "delivery", "received_at", "payload"}`` the webhook
    receiver lands, or the bare payload (then the event type and delivery id are read from the payload, where the
    source has them there)."""

    payload: dict[str, Any]
    event: str | None = None
    delivery: str | None = None
    received_at: str | None = None  # the event's time for payloads that carry none of their own

    @classmethod
    def of(cls, record: dict[str, Any]) -> Delivery:
        if isinstance(record.get("payload"), dict):
            event, delivery = record.get("event"), record.get("delivery")
            received = record.get("received_at")
            return cls(
                record["payload"],
                event if isinstance(event, str) else None,
                _text(delivery),
                received if isinstance(received, str) else None,
            )
        return cls(record)


@dataclass(frozen=True)
class Outcome:
    domain: str  # where the record is stored, or quarantined
    record: dict[str, Any] | None = None
    reason: str | None = None  # why it is quarantined
    ignored: str | None = None  # the kind of event that carries nothing for the marts


def accepted(domain: str, record: dict[str, Any]) -> Outcome:
    return Outcome(domain, record={k: v for k, v in record.items() if v is not None})


def quarantined(domain: str, reason: str) -> Outcome:
    return Outcome(domain, reason=reason)


def ignored(domain: str, kind: str) -> Outcome:
    return Outcome(domain, ignored=kind)


def as_object(value: object) -> dict[str, Any]:
    """A payload's JSON object, or an empty one where the payload has something else (a missing field reads as
    absent, never as an error)."""
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, str | int) and str(value) else None
