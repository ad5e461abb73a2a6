"""Usage: one record per (tenant, user, service, feature) active minute, drawn from user sessions.

Sessions follow each tenant's local business hours; service accounts run jobs around the clock. A tenant's
records per day are exact; error ratio and latency rise for the minutes an incident hits the tenant's service.
The sessions and per-tenant totals are handed on to audit (logins, actions) and cost (showback drivers).
"""

from __future__ import annotations

import functools
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import accumulate

from demo.base import MINUTE, apportion, day_name, hex_id, stream
from demo.catalog import REGIONS, SERVICES, Feature, ServiceSpec
from demo.plan import Plan
from demo.world import Person, Tenant, World

# Relative activity by local hour of day.
_LOCAL_HOURS = (0.04, 0.03, 0.03, 0.03, 0.04, 0.08, 0.2, 0.45, 0.85, 1.0, 1.0, 0.95,
                0.7, 0.9, 1.0, 1.0, 0.9, 0.7, 0.45, 0.3, 0.25, 0.2, 0.12, 0.07)  # fmt: skip
_BOUNDS_MS = (100, 300, 1000)
_STEPS = 50  # latency fractions are tabulated for medians 2% apart
_ACTIVE = (0.8, 0.45, 0.45)  # chance a session's first, second, third feature is used in a minute
_Z95 = 1.6449
_SQRT2 = math.sqrt(2)
_HOURS = range(24)
_FEATURE_INDEX = {f.name: i for i, f in enumerate(f for s in SERVICES for f in s.features)}


@dataclass(slots=True)
class Session:
    """A run of activity of one person: the minutes and features behind usage and audit records."""

    id: str
    person: Person
    tenant: Tenant
    start: int  # epoch second of the first active minute
    end: int  # epoch second after the last active minute
    features: list[tuple[ServiceSpec, Feature]]
    records: int


@dataclass
class Totals:
    """A day's showback drivers: what cost rows follow."""

    compute: dict[tuple[int, str], float] = field(default_factory=dict)  # (tenant index, service) -> units
    requests: dict[tuple[int, str], int] = field(default_factory=dict)
    bytes_out: dict[int, int] = field(default_factory=dict)  # tenant index -> bytes


@dataclass
class UsageDay:
    """One day of usage: records in time order, the sessions behind them and showback totals."""

    records: list[dict]
    sessions: list[Session]
    totals: Totals = field(default_factory=Totals)


def usage_day(world: World, plan: Plan, day: int, target: int) -> UsageDay:
    """All usage records of a day (``target`` of them, fewer on the day of ``world.now``), in time order, without
    event ids."""
    builder = _Day(world, day, plan.impact(day))
    weights = [t.weight_on(day) for t in world.tenants]
    for tenant, n in zip(world.tenants, apportion(target, weights), strict=True):
        builder.tenant(tenant, n)
    # Only the minutes over by now
    minutes = max(0, min(1440, (world.now - builder.base) // MINUTE))
    builder.out.records = [r for bucket in builder.buckets[:minutes] for r in bucket]
    builder.totals()
    return builder.out


class _Day:
    """Draws one day's sessions and records, tenant by tenant."""

    def __init__(self, world: World, day: int, impact: dict) -> None:
        self.world, self.day, self.impact = world, day, impact
        self.base = world.day_start(day)
        date = day_name(self.base)
        self.stamps = [f"{date}T{m // 60:02d}:{m % 60:02d}:00Z" for m in range(1440)]
        self.hours = {
            r.utc_offset: list(accumulate(_LOCAL_HOURS[(h + r.utc_offset) % 24] for h in range(24)))
            for r in REGIONS
        }
        self.buckets: list[list[dict]] = [[] for _ in range(1440)]  # records by minute
        self.out = UsageDay([], [])

    def tenant(self, tenant: Tenant, target: int) -> None:
        """Draw sessions of the tenant's people until the tenant has ``target`` records."""
        rng = stream(self.world.seed, "usage", tenant.id, self.day)
        people, cum = tenant.people, tenant.people_cum
        seen: set[int] = set()  # (person, minute, feature) keys
        produced = attempts = 0
        while produced < target and attempts < 100 + 20 * target:
            attempts += 1
            person = rng.choices(people, cum_weights=cum)[0]
            if person.service:
                start, length = rng.randrange(1440), rng.randint(4, 25)
                feats = _pick(rng, tenant.api_features, tenant.api_cum, 2)
                scale = rng.uniform(1.0, 4.0)
            else:
                hour = rng.choices(_HOURS, cum_weights=self.hours[person.region.utc_offset])[0]
                start, length = hour * 60 + rng.randrange(60), 1 + min(240, int(rng.expovariate(1 / 14)))
                feats = _pick(rng, tenant.human_features, tenant.human_cum, 3)
                scale = 1.0
            ts = self.base + start * MINUTE
            if not feats or not person.active_at(ts):
                continue
            if person.terminated_at is not None and ts >= person.terminated_at and rng.random() > 0.3:
                continue  # a terminated user who still has access uses it only now and then
            stop = min(1440, start + length)
            made, last = self._emit(rng, tenant, person, feats, scale, start, stop, target - produced, seen)
            if made:
                produced += made
                end = self.base + (last + 1) * MINUTE
                self.out.sessions.append(
                    Session(f"s-{hex_id(rng, 10)}", person, tenant, ts, end, feats, made)
                )

    def totals(self) -> None:
        """Showback drivers: compute units and requests per tenant and service, bytes per tenant."""
        index = {t.id: t.index for t in self.world.tenants}
        compute: dict[tuple[int, str], float] = defaultdict(float)
        requests: dict[tuple[int, str], int] = defaultdict(int)
        sent: dict[int, int] = defaultdict(int)
        for r in self.out.records:
            key = (index[r["tenant_id"]], r["service"])
            compute[key] += r["compute_units"]
            requests[key] += r["requests"]
            sent[key[0]] += r["bytes_out"]
        self.out.totals = Totals(dict(compute), dict(requests), dict(sent))

    def _emit(self, rng, tenant, person, feats, scale, start, stop, most, seen) -> tuple[int, int]:
        """Records of one session's minutes (at most ``most``); returns how many and the last minute."""
        rand, log, stamps, buckets = rng.random, math.log, self.stamps, self.buckets
        region = person.region.id if tenant.plan == "enterprise" else tenant.region.id
        tid, uid, key0 = tenant.id, person.id, person.index * 1440 * 64
        plans = []
        for k, (spec, f) in enumerate(feats):
            imp = self.impact.get((tenant.index, spec.name))
            plans.append(
                (
                    _ACTIVE[k],
                    _FEATURE_INDEX[f.name],
                    f.name,
                    spec.name,
                    f.requests * scale,
                    spec.error_ratio,
                    spec.latency_ms,
                    _fractions(spec.latency_sigma),
                    math.exp(_Z95 * spec.latency_sigma),
                    f.compute,
                    f.bytes,
                    f.quota,
                    imp,
                )
            )
        made = last = 0
        for m in range(start, stop):
            for active, fidx, fname, sname, mean, ratio, lat, fractions, p95, cu, size, quota, imp in plans:
                key = key0 + m * 64 + fidx
                if rand() > active or key in seen:
                    continue
                seen.add(key)
                req = int(mean * (0.25 + 1.5 * rand())) or 1
                if imp:
                    ratio += imp[0][m]
                    median = lat * imp[1][m] * (0.75 + 0.5 * rand())
                else:
                    median = lat * (0.75 + 0.5 * rand())
                le100, le300, le1000 = fractions[int(log(median) * _STEPS)]
                errors = int(req * ratio + rand())
                u = rand()  # one draw for the three bounds: randomised rounding that keeps the counts ordered
                buckets[m].append(
                    {
                        "event_id": None,
                        "occurred_at": stamps[m],
                        "tenant_id": tid,
                        "user_id": uid,
                        "service": sname,
                        "feature": fname,
                        "region": region,
                        "window_seconds": 60,
                        "requests": req,
                        "errors": errors if errors < req else req,
                        "latency_le_100ms": int(req * le100 + u),
                        "latency_le_300ms": int(req * le300 + u),
                        "latency_le_1000ms": int(req * le1000 + u),
                        "latency_ms_p50": int(median * 10 + 0.5) / 10,
                        "latency_ms_p95": int(median * p95 * 10 + 0.5) / 10,
                        "compute_units": int(req * cu * (8500 + 3000 * rand())) / 10_000,
                        "bytes_out": int(req * size * (0.5 + rand())),
                        "quota_units": int(req * quota * 100 + 0.5) / 100,
                    }
                )
                made += 1
                last = m
                if made >= most:
                    return made, last
        return made, last


@functools.lru_cache(maxsize=32)
def _fractions(sigma: float) -> tuple[tuple[float, float, float], ...]:
    """Shares of requests within 100/300/1000 ms for log-normal latency, by ``int(log(median) * _STEPS)``."""
    return tuple(
        tuple(0.5 * (1 + math.erf((math.log(b) - i / _STEPS) / (sigma * _SQRT2))) for b in _BOUNDS_MS)
        for i in range(12 * _STEPS)  # medians up to e^12 ms
    )


def _pick(rng: random.Random, feats: list, cum: list[float], most: int) -> list:
    if not feats:
        return []
    picked = []
    for _ in range(rng.randint(1, most)):
        f = rng.choices(feats, cum_weights=cum)[0]
        if f not in picked:
            picked.append(f)
    return picked
