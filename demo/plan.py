"""The global schedule the daily generators share: deployments, incidents and their impact on usage.

Planned up front (it is small) so that incidents follow the deployments that caused them and usage shows
the matching error and latency bursts, while every domain is still written day by day.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass

from demo.base import DAY, HOUR, MINUTE, day_name, poisson, stream, weekday
from demo.catalog import ServiceSpec
from demo.world import CADENCES, Person, Team, Tenant, World

SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
RECORDS_PER_INCIDENT = 3.1
_RELEASE_DAYS = {"weekly": (2,), "twice-weekly": (1, 3)}
_ERROR = {"sev1": (0.25, 0.6), "sev2": (0.08, 0.25), "sev3": (0.02, 0.08)}
_LATENCY = {"sev1": (4.0, 9.0), "sev2": (2.5, 5.0), "sev3": (1.4, 2.5)}
_SPREAD = {"sev1": (0.5, 0.9), "sev2": (0.15, 0.4), "sev3": (0.0, 0.0)}
_IMPACT_CAP = {"sev1": 3 * HOUR, "sev2": 4 * HOUR, "sev3": 3 * HOUR}
_RESOLVE_MEDIAN = {"sev1": 70 * MINUTE, "sev2": 2 * HOUR, "sev3": 6 * HOUR, "sev4": 14 * HOUR}
# title, how it was fixed, severities it comes with, whether a bad change can cause it
_SYMPTOMS = (
    ("{s} unavailable: 5xx above 25%", "Failed over {s} to the standby cluster.", ("sev1",), True),
    ("Outage of {s} in {r}", "Drained {r} and restored {s} capacity.", ("sev1",), False),
    (
        "Elevated 5xx on {s}",
        "Restarted stuck workers of {s}; error rate back to baseline.",
        ("sev2", "sev3"),
        True,
    ),
    (
        "p95 latency above SLO on {s}",
        "Scaled out {s} and drained the unhealthy nodes.",
        ("sev2", "sev3"),
        True,
    ),
    ("Error budget burn rate high on {s}", "Rate-limited the noisiest client of {s}.", ("sev2",), False),
    ("{s} pods crash-looping", "Raised the memory limit of the {s} pods.", ("sev3",), True),
    ("Database connections saturated for {s}", "Raised the connection pool limit of {s}.", ("sev3",), False),
    (
        "Disk usage above 85% on {s}-db",
        "Cleaned up disk space on {s}-db and added an alert.",
        ("sev4",),
        False,
    ),
    ("Certificate for {s} expires in 14 days", "Rotated the expiring certificate of {s}.", ("sev4",), False),
    ("Queue backlog growing on {s}", "Added consumers; the {s} queue drained.", ("sev4",), True),
    ("Health check flapping for {s} in {r}", "Replaced the flapping {s} node in {r}.", ("sev4",), True),
)


@dataclass(slots=True)
class Deployment:
    """One deployment of a service to an environment; ``finished`` is its ``occurred_at``."""

    id: str
    team: Team
    service: ServiceSpec
    environment: str
    status: str
    started: int
    finished: int
    bad: bool  # succeeded but broke production


@dataclass(slots=True)
class Incident:
    """An incident: its lifecycle times, cause and the error/latency burst it put on usage."""

    index: int
    id: str
    service: ServiceSpec
    severity: str
    tenant: Tenant  # the most affected tenant
    source: str
    title: str
    fix: str  # how it was resolved, unless a deployment was rolled back
    triggered: int
    acks: list[tuple[int, Person]]
    resolved: int
    deployment: Deployment | None
    impact_start: int
    impact_end: int
    error_ratio: float  # extra server-error ratio for the most affected tenant
    latency: float  # latency multiplier for the most affected tenant
    spread: float  # share of that impact other tenants of the service see (0: none)


class Plan:
    """Deployments and incidents of the whole range, indexed by day."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.deployments = _deployments(world)
        self.incidents = _incidents(world, self.deployments)
        self._deploys_by_day: dict[int, list[Deployment]] = defaultdict(list)
        for d in self.deployments:
            self._deploys_by_day[(d.finished - world.start) // DAY].append(d)
        self._events_by_day: dict[int, list[tuple[int, int, Incident]]] = defaultdict(list)
        self._impact_by_day: dict[int, list[Incident]] = defaultdict(list)
        for inc in self.incidents:
            times = [inc.triggered, *(ts for ts, _ in inc.acks), inc.resolved]
            for step, ts in enumerate(times):
                if ts < world.end:
                    self._events_by_day[(ts - world.start) // DAY].append((ts, step, inc))
            if inc.error_ratio > 0:
                first, last = (inc.impact_start - world.start) // DAY, (inc.impact_end - world.start) // DAY
                for day in range(first, last + 1):
                    self._impact_by_day[day].append(inc)
        for events in self._events_by_day.values():
            events.sort(key=lambda e: (e[0], e[2].index, e[1]))

    def deployments_on(self, day: int) -> list[Deployment]:
        return self._deploys_by_day.get(day, [])

    def incident_events(self, day: int) -> list[tuple[int, int, Incident]]:
        """``(ts, step, incident)`` of the day in time order; step 0 is the trigger, the last the resolve."""
        return self._events_by_day.get(day, [])

    def impact(self, day: int) -> dict[tuple[int, str], tuple[list[float], list[float]]]:
        """Per ``(tenant index, service)``: extra error ratio and latency factor for each minute."""
        out: dict[tuple[int, str], tuple[list[float], list[float]]] = {}
        base = self.world.day_start(day)
        for inc in self._impact_by_day.get(day, []):
            m0 = max(0, (inc.impact_start - base) // MINUTE)
            m1 = min(1440, -(-(inc.impact_end - base) // MINUTE))
            for t in self.world.tenants:
                share = 1.0 if t is inc.tenant else inc.spread
                if share <= 0:
                    continue
                err, lat = out.setdefault((t.index, inc.service.name), ([0.0] * 1440, [1.0] * 1440))
                e, x = inc.error_ratio * share, 1 + (inc.latency - 1) * share
                for m in range(m0, m1):
                    err[m] = max(err[m], e)
                    lat[m] = max(lat[m], x)
        return out


def _deployments(world: World) -> list[Deployment]:
    raw: list[tuple] = []
    for team in world.teams:
        for spec in team.services:
            rng = stream(world.seed, "deployments", spec.name)
            rate = CADENCES[team.cadence] * world.volume
            release_days = _RELEASE_DAYS.get(team.cadence)
            for day in range(world.days):
                wd = weekday(world.day_start(day))
                if release_days:
                    n = int(rate * 5 / len(release_days) + rng.random()) if wd in release_days else 0
                else:
                    n = poisson(rng, rate if wd < 5 else rate * 0.05)
                for _ in range(n):
                    raw.extend(_release(rng, world, team, spec, day))
    raw = [r for r in raw if world.start <= r[4] and r[5] < world.end]
    raw.sort(key=lambda r: (r[5], r[4], r[1].name))
    first = stream(world.seed, "deployment-ids").randrange(100, 900)
    return [Deployment(f"dep-{first + i:06d}", *r) for i, r in enumerate(raw)]


def _release(rng: random.Random, world: World, team: Team, spec: ServiceSpec, day: int) -> list[tuple]:
    """Staging then production deployments of one release, with retries after failures."""
    local = rng.uniform(9.5, 17.0) if rng.random() < 0.95 else rng.uniform(0, 24)
    t = world.day_start(day) + int((local - team.utc_offset) * HOUR)
    out = []
    for env, fail, retries in (("staging", 0.08, 2), ("production", 0.06, 2)):
        for attempt in range(retries):
            finished = t + rng.randrange(3 * MINUTE, (12 if env == "staging" else 25) * MINUTE)
            failed = rng.random() < fail and attempt < retries - 1
            bad = env == "production" and not failed and rng.random() < 0.14
            out.append((team, spec, env, "failure" if failed else "success", t, finished, bad))
            t = finished + rng.randrange(15 * MINUTE, (60 if failed else 120) * MINUTE)
            if not failed:
                break
    return out


def _incidents(world: World, deployments: list[Deployment]) -> list[Incident]:
    rng = stream(world.seed, "incidents")
    total = round(world.targets["incident"] / RECORDS_PER_INCIDENT)
    drafts: list[tuple] = []
    for d in deployments:
        if d.environment == "production" and (d.bad or (d.status == "failure" and rng.random() < 0.5)):
            severity = rng.choices(SEVERITIES, (4, 22, 44, 30))[0]
            drafts.append((d.finished + rng.randrange(2 * MINUTE, 20 * MINUTE), d.service, severity, d))
    for _ in range(max(0, total - len(drafts))):
        spec = rng.choice(world.services)
        severity = rng.choices(SEVERITIES, (1, 5, 28, 66))[0]
        ts = world.start + rng.randrange(world.days * DAY)
        drafts.append((ts, spec, severity, None))
    drafts = [d for d in drafts if d[0] < world.end]
    drafts.sort(key=lambda d: (d[0], d[1].name))
    out: list[Incident] = []
    per_day: dict[str, int] = defaultdict(int)
    for i, (ts, spec, severity, deployment) in enumerate(drafts):
        day = day_name(ts)
        per_day[day] += 1
        out.append(
            _incident(
                rng,
                world,
                i,
                f"INC-{day.replace('-', '')}-{per_day[day]:04d}",
                ts,
                spec,
                severity,
                deployment,
            )
        )
    return out


def _incident(
    rng: random.Random,
    world: World,
    index: int,
    incident_id: str,
    triggered: int,
    spec: ServiceSpec,
    severity: str,
    deployment: Deployment | None,
) -> Incident:
    team = world.owner[spec.name]
    users = [t for t in world.tenants if any(s is spec for s, _ in t.human_features + t.api_features)]
    tenant = rng.choices(users or world.tenants, [t.weight**0.7 for t in users or world.tenants])[0]
    slow = 4 if severity == "sev4" else 1
    ack = (
        triggered
        + 30
        + int(
            rng.uniform(20, 120) * MINUTE
            if rng.random() < 0.09
            else rng.lognormvariate(math.log(180), 0.8) * slow
        )
    )
    acks = [(ack, team.on_call(triggered))]
    if rng.random() < 0.12:
        acks.append((ack + rng.randrange(5 * MINUTE, 45 * MINUTE), team.on_call(triggered, 1)))
    resolve = rng.lognormvariate(math.log(_RESOLVE_MEDIAN[severity]), 0.9)
    resolved = acks[-1][0] + int(min(resolve, 10 * DAY)) + MINUTE
    impact_start = deployment.finished if deployment else triggered - rng.randrange(MINUTE, 8 * MINUTE)
    error = latency = spread = 0.0
    impact_end = impact_start
    if severity in _ERROR:
        error, latency, spread = (rng.uniform(*r[severity]) for r in (_ERROR, _LATENCY, _SPREAD))
        impact_end = min(resolved, triggered + _IMPACT_CAP[severity])
    symptoms = [x for x in _SYMPTOMS if severity in x[2] and (x[3] or deployment is None)]
    title, fix = (t.format(s=spec.name, r=tenant.region.id) for t in rng.choice(symptoms)[:2])
    source = "pagerduty" if rng.random() < 0.6 else "datadog"
    return Incident(
        index,
        incident_id,
        spec,
        severity,
        tenant,
        source,
        title,
        fix,
        triggered,
        acks,
        resolved,
        deployment,
        impact_start,
        impact_end,
        error,
        latency,
        spread,
    )
