"""Incident lifecycle records (triggered, acknowledged, resolved) of the planned incidents, by day."""

from __future__ import annotations

import random

from demo.base import iso, stream
from demo.plan import Incident, Plan
from demo.world import Person, World


def incident_day(world: World, plan: Plan, day: int) -> list[dict]:
    """The day's incident records in time order, without event ids."""
    out = []
    for ts, step, inc in plan.incident_events(day):
        if ts >= world.now:
            break  # in time order
        rng = stream(world.seed, "incident-text", inc.index, step)
        responder = inc.acks[min(step, len(inc.acks)) - 1][1] if step else None
        if responder is None:
            status, summary = "triggered", _triggered(inc)
        elif step <= len(inc.acks):
            status, summary = "acknowledged", _acknowledged(rng, world, inc, step, responder)
        else:
            status, summary = "resolved", _resolved(rng, inc, responder)
        out.append(
            {
                "event_id": None,
                "occurred_at": iso(ts),
                "tenant_id": inc.tenant.id,
                "incident_id": inc.id,
                "status": status,
                "severity": inc.severity,
                "service": inc.service.name,
                "title": inc.title,
                "summary": summary,
                "responder_id": responder.id if responder else None,
                "responder_email": responder.email if responder else None,
                "caused_by_deployment_id": inc.deployment.id if inc.deployment else None,
                "source": inc.source,
            }
        )
    return out


def _triggered(inc: Incident) -> str:
    tool = "PagerDuty" if inc.source == "pagerduty" else "Datadog monitor"
    text = f"{tool}: {inc.title}. Most affected tenant: {inc.tenant.name}."
    if inc.deployment:
        dep, finished = inc.deployment.id, iso(inc.deployment.finished)[11:16]
        text += f" Recent change: {dep} ({inc.service.name} to production, finished {finished} UTC)."
    return text


def _acknowledged(rng: random.Random, world: World, inc: Incident, step: int, responder: Person) -> str:
    team = world.owner[inc.service.name].name
    if step > 1:
        text = f"Reassigned to {responder.name} <{responder.email}>, secondary on call for {team}."
    else:
        text = f"Acknowledged by {responder.name} ({responder.phone}), on call for {team}."
    if rng.random() < 0.3:
        text += f" Bridge: https://meet.opsline.example/{inc.id.lower()}"
    return text


def _resolved(rng: random.Random, inc: Incident, responder: Person) -> str:
    if inc.deployment:
        text = f"Rolled back {inc.deployment.id}; error rate back to baseline."
        text += f" Postmortem owner: {responder.name} ({responder.email})."
    else:
        text = inc.fix
    if rng.random() < 0.25:
        contact = rng.choice([p for p in inc.tenant.people if not p.service])
        text += f" Customer contact at {inc.tenant.name}: {contact.name}, {contact.phone}."
    return text
