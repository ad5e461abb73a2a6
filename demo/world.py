"""The coherent world every domain is drawn from: tenants, people, services, ARTs, teams and PIs.

Built once from the seed and the size arguments; small (thousands of objects) and read-only afterwards.
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import time
from dataclasses import dataclass, field

from demo import catalog
from demo.base import DAY, HOUR, apportion, stream, weekday
from demo.catalog import Feature, Region, ServiceSpec

SHARES = {"usage": 0.60, "audit": 0.25, "delivery": 0.10, "incident": 0.01, "cost": 0.04}
PI_DAYS = 70
ITERATION_DAYS = 14
_ITERATIONS = ("I1", "I2", "I3", "I4", "I5")  # I5 is the Innovation and Planning iteration
# Production deployments per working day of one service, at the default volume, and how much work the
# team ships relative to its size (teams that deploy often merge more, smaller pull requests).
CADENCES = {"on-demand": 6.0, "daily": 2.0, "twice-weekly": 0.4, "weekly": 0.2}
_PACE = {"on-demand": 2.5, "daily": 1.2, "twice-weekly": 0.8, "weekly": 0.7, "none": 1.0}
_REGION_WEIGHTS = (0.35, 0.15, 0.25, 0.15, 0.10)


@dataclass(slots=True)
class Person:
    """A human user or a service account of a tenant (or an engineer of the platform operator)."""

    index: int
    id: str
    tenant_id: str
    name: str
    email: str | None
    phone: str | None
    service: bool
    weight: float
    region: Region
    ip: str
    agent: str
    roles: list[str] = field(default_factory=list)
    terminated_at: int | None = None
    disabled_at: int | None = None
    lingers: bool = False  # keeps working after termination until disabled

    def active_at(self, ts: int) -> bool:
        if self.terminated_at is None or ts < self.terminated_at:
            return True
        return self.lingers and (self.disabled_at is None or ts < self.disabled_at)

    @property
    def privileged(self) -> bool:
        return any(r in catalog.PRIVILEGED_ROLES for r in self.roles)


@dataclass(slots=True)
class Tenant:
    """A customer tenant: its size, plan, region, people and feature preferences."""

    index: int
    id: str
    name: str
    domain: str
    plan: str
    quota_units: int  # monthly
    weight: float
    growth: float
    region: Region
    dedicated: bool
    people: list[Person] = field(default_factory=list)
    people_cum: list[float] = field(default_factory=list)
    human_features: list[tuple[ServiceSpec, Feature]] = field(default_factory=list)
    human_cum: list[float] = field(default_factory=list)
    api_features: list[tuple[ServiceSpec, Feature]] = field(default_factory=list)
    api_cum: list[float] = field(default_factory=list)

    @property
    def admins(self) -> list[Person]:
        return [p for p in self.people if p.privileged]

    def weight_on(self, day: int) -> float:
        return self.weight * math.exp(self.growth * day)


@dataclass(slots=True)
class Team:
    """An agile team of an ART, with the services it owns and its deployment cadence."""

    name: str
    code: str
    art: str
    utc_offset: int
    members: list[Person]
    services: list[ServiceSpec]
    repository: str
    cadence: str
    throughput: float

    def on_call(self, ts: int, rank: int = 0) -> Person:
        """The engineer on call in the week of ``ts`` (rank 1 is the secondary)."""
        week = (ts // DAY + 3) // 7
        return self.members[(week + rank) % len(self.members)]


@dataclass
class World:
    """Everything the domain generators share."""

    seed: int
    start: int  # epoch second of the first day
    days: int
    volume: float  # records per day relative to the defaults (500k events in 90 days)
    tenants: list[Tenant]
    teams: list[Team]
    owner: dict[str, Team]  # service name -> owning team
    targets: dict[str, int]  # records per domain
    # Epoch second of the generation: records are written up to it only. Everything is planned over the whole
    # range all the same, so the data of a day generated at noon is the full day's data up to noon.
    now: int
    services: tuple[ServiceSpec, ...] = catalog.SERVICES

    @property
    def run(self) -> str:
        """The arguments that determine the data, as text (not ``now``, which only cuts it short)."""
        return f"{self.seed}:{self.start}:{self.days}:{len(self.tenants)}:{sum(self.targets.values())}"

    @property
    def end(self) -> int:
        return self.start + self.days * DAY

    def day_start(self, day: int) -> int:
        return self.start + day * DAY

    def pi(self, ts: int) -> tuple[int, str, str]:
        """``(index, name, iteration)`` of the PI of ``ts``; PIs start on the first day of the range."""
        k, offset = divmod(ts - self.start, PI_DAYS * DAY)
        return k, _pi_name(self.start, k), _ITERATIONS[offset // (ITERATION_DAYS * DAY)]

    def pi_name(self, k: int) -> str:
        return _pi_name(self.start, k)

    def daily_targets(self, domain: str, weekend: float) -> list[int]:
        """Records of ``domain`` per day: weekdays busier than weekends, with slow growth."""
        weights = [
            (weekend if weekday(self.day_start(d)) >= 5 else 1.0) * (1 + 0.002 * d) for d in range(self.days)
        ]
        return apportion(self.targets[domain], weights)


@functools.lru_cache(maxsize=64)
def _pi_name(start: int, k: int) -> str:
    """``PI-<year>.<n>``: n counts 70-day blocks of the year the PI starts in."""
    begin = time.gmtime(start + k * PI_DAYS * DAY)
    return f"PI-{begin.tm_year}.{(begin.tm_yday - 1) // PI_DAYS + 1}"


def build_world(seed: int, start: int, days: int, tenants: int, events: int, now: int) -> World:
    """Build the world for a run; ``start`` is the epoch second of the first day, ``now`` the generation's."""
    rng = stream(seed, "world")
    volume = events / 500_000 * 90 / days
    targets = dict(zip(SHARES, apportion(events, list(SHARES.values())), strict=True))
    counter = itertools.count(1001)  # person ids u-1001, u-1002, ...
    tenant_list = _tenants(rng, tenants, targets["usage"], days, counter)
    _terminations(stream(seed, "terminations"), tenant_list, start, days)
    teams = _teams(stream(seed, "teams"), counter)
    owner = {s.name: t for t in teams for s in t.services}
    return World(seed, start, days, volume, tenant_list, teams, owner, targets, now)


def _round(x: float) -> int:
    """Two significant digits, as plans are sold."""
    scale = 10 ** max(0, len(str(int(x))) - 2)
    return max(1, round(x / scale)) * scale


def _slug_names(rng: random.Random, n: int) -> list[tuple[str, str]]:
    base = list(catalog.COMPANIES)
    rng.shuffle(base)
    out = []
    for i in range(n):
        slug, name = base[i % len(base)]
        rounds = i // len(base)
        out.append((f"{slug}{rounds + 1}", f"{name} {rounds + 1}") if rounds else (slug, name))
    return out


def _tenants(
    rng: random.Random, n: int, usage_total: int, days: int, counter: itertools.count
) -> list[Tenant]:
    weights = sorted((1 / (i + 1) ** 1.1 * rng.lognormvariate(0, 0.25) for i in range(n)), reverse=True)
    humans_total = max(4 * n, round(usage_total / days * 1.25 / 22))
    monthly_units = usage_total / days * 30 * 8 / sum(weights)  # quota units a month per unit of weight
    humans = [max(3, h) for h in apportion(humans_total, [w**0.85 for w in weights])]
    churner = rng.randrange(1, n) if n > 1 else -1
    out = []
    for i, ((slug, name), w) in enumerate(zip(_slug_names(rng, n), weights, strict=True)):
        rank = i / n
        plan = "enterprise" if rank < 0.25 else "business" if rank < 0.65 else "starter"
        region = rng.choices(catalog.REGIONS, _REGION_WEIGHTS)[0]
        growth = -0.012 if i == churner else rng.uniform(-0.003, 0.008)
        headroom = {"enterprise": (1.5, 3.0), "business": (1.2, 2.0), "starter": (0.8, 1.3)}[plan]
        quota = _round(monthly_units * w * rng.uniform(*headroom))
        t = Tenant(i, f"t-{slug}", name, f"{slug}.example", plan, quota, w, growth, region, plan != "starter")
        _people(rng, t, humans[i], counter)
        _features(rng, t)
        out.append(t)
    return out


def _people(rng: random.Random, t: Tenant, humans: int, counter: itertools.count) -> None:
    octets = (rng.choice((23, 34, 52, 63, 81, 94, 104, 146, 185, 203)), rng.randrange(1, 255))
    taken: set[str] = set()
    for _ in range(humans):
        first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        region = t.region if rng.random() < 0.85 else rng.choice(catalog.REGIONS)
        index = next(counter)
        t.people.append(
            Person(
                index,
                f"u-{index:04d}",
                t.id,
                f"{first} {last}",
                _email(rng, first, last, t.domain, taken),
                region.phone_format.format(n=rng.randrange(100)),
                False,
                rng.lognormvariate(0, 1.0),
                region,
                _ip(rng, octets),
                rng.choice(catalog.USER_AGENTS),
                [rng.choice(catalog.ROLES)],
            )
        )
    admins = rng.sample(t.people, k=min(len(t.people), 2 + (t.plan == "enterprise")))
    for role, p in zip(itertools.cycle(catalog.PRIVILEGED_ROLES[:2]), admins, strict=False):
        p.roles.append(role)
    names = ("etl-sync", "crm-connector", "bi-extract", "alerts-bot", "backup-job")
    for name in names[: {"enterprise": 3, "business": 2, "starter": 1}[t.plan]]:
        octet = rng.choice((3, 18, 35, 52, 54))
        cloud_ip = f"{octet}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        agent = rng.choice(catalog.SERVICE_AGENTS)
        t.people.append(
            Person(
                next(counter),
                f"svc-{t.id[2:]}-{name}",
                t.id,
                name,
                None,
                None,
                True,
                rng.uniform(2.0, 5.0),
                t.region,
                cloud_ip,
                agent,
            )
        )
    t.people_cum = list(itertools.accumulate(p.weight for p in t.people))


def _email(rng: random.Random, first: str, last: str, domain: str, taken: set[str]) -> str:
    local = f"{first}.{last}".lower()
    while local in taken:
        local = f"{first}.{last}{rng.randrange(2, 99)}".lower()
    taken.add(local)
    return f"{local}@{domain}"


def _ip(rng: random.Random, octets: tuple[int, int]) -> str:
    x = rng.random()
    if x < 0.08:
        return (
            f"2001:db8:{rng.randrange(1, 0xFFFF):x}:{rng.randrange(0xFFFF):x}::{rng.randrange(1, 0xFFFF):x}"
        )
    if x < 0.3:
        return f"{rng.randrange(11, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    return f"{octets[0]}.{octets[1]}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def _features(rng: random.Random, t: Tenant) -> None:
    for spec in catalog.SERVICES:
        affinity = rng.lognormvariate(0, 0.7)
        for f in spec.features:
            if rng.random() < 0.12:
                continue  # this tenant does not use the feature
            target = t.human_features if f.human else t.api_features
            target.append((spec, f))
            (t.human_cum if f.human else t.api_cum).append(f.weight * affinity * rng.lognormvariate(0, 0.4))
    t.human_cum = list(itertools.accumulate(t.human_cum))
    t.api_cum = list(itertools.accumulate(t.api_cum))


def _terminations(rng: random.Random, tenants: list[Tenant], start: int, days: int) -> None:
    """HR terminations during the range; disabling the account is usually prompt, sometimes late or never."""
    p = min(0.5, 0.05 * days / 90)
    for t in tenants:
        for person in t.people:
            if person.service or person.privileged or rng.random() >= p:
                continue
            day = rng.randrange(days)
            ts = start + day * DAY + (rng.randrange(9, 17) - t.region.utc_offset) * HOUR + rng.randrange(HOUR)
            person.terminated_at = max(start, ts)
            x = rng.random()
            if x < 0.65:
                delay = rng.uniform(0.3, 8) * HOUR
            elif x < 0.80:
                delay = rng.uniform(8, 24) * HOUR
            elif x < 0.93:
                delay = rng.uniform(1, 10) * DAY
            else:
                delay = None
            person.disabled_at = None if delay is None else person.terminated_at + int(delay)
            person.lingers = (delay is None or delay > DAY) and rng.random() < 0.35


def _teams(rng: random.Random, counter: itertools.count) -> list[Team]:
    names = list(catalog.TEAM_NAMES)
    rng.shuffle(names)
    cadences = ["on-demand", "daily", "weekly", "twice-weekly", "daily", "on-demand", "daily", "weekly"]
    rng.shuffle(cadences)
    taken: set[str] = set()
    teams: list[Team] = []
    for art in catalog.ARTS:
        services = [s for s in catalog.SERVICES if s.art == art]
        n = rng.randint(2, 4)
        offset = rng.choice((-5, 0, 1))
        region = min(catalog.REGIONS, key=lambda r: abs(r.utc_offset - offset))
        for i in range(n):
            name = names.pop()
            owned = services[i::n]
            repo = owned[0].repository if owned else services[i % len(services)].repository
            members = [_engineer(rng, next(counter), region, taken) for _ in range(rng.randint(5, 9))]
            cadence = cadences[len(teams) % len(cadences)] if owned else "none"
            throughput = len(members) * _PACE[cadence]
            teams.append(
                Team(f"Team {name}", name[:3].upper(), art, offset, members, owned, repo, cadence, throughput)
            )
    return teams


def _engineer(rng: random.Random, index: int, region: Region, taken: set[str]) -> Person:
    tenant_id, _, domain = catalog.OPERATOR
    first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
    return Person(
        index,
        f"u-{index:04d}",
        tenant_id,
        f"{first} {last}",
        _email(rng, first, last, domain, taken),
        region.phone_format.format(n=rng.randrange(100)),
        False,
        1.0,
        region,
        f"10.{rng.randrange(8, 16)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        rng.choice(catalog.USER_AGENTS),
    )
