"""Lifecycles of SAFe work items and their pull requests, generated whole when an item is created.

Each function returns the item's future events ``(ts, kind, obj, arg)``; the delivery simulation replays them
in time order. Stories move backlog -> (analyzing) -> ready -> in_progress (-> blocked -> in_progress) ->
in_review -> testing -> done, sometimes reopened; their pull requests are opened when they enter review and
merged before testing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from demo import catalog
from demo.base import DAY, HOUR, MINUTE, at_work, hex_id, iso, later
from demo.world import PI_DAYS, Person, Team, World

Event = tuple[int, str, object, object]
_POINTS = ((1, 2, 3, 5, 8, 13), (10, 20, 25, 25, 15, 5))
_FIRST_NUMBER = {"EPIC": 40, "FEAT": 1100, "STORY": 2200, "ENB": 310, "DEF": 705, "RISK": 52}
_PACKAGES = (
    "pydantic",
    "requests",
    "grpcio",
    "protobuf",
    "boto3",
    "sqlalchemy",
    "react",
    "lodash",
    "jackson",
)


@dataclass(slots=True)
class Item:
    """A SAFe work item."""

    id: str
    type: str
    team: Team
    pi: str
    iteration: str | None
    parent: str | None
    title: str
    points: float | None


@dataclass(slots=True)
class PullRequest:
    """A pull request; its id is assigned when it is opened, so ids grow with time."""

    team: Team
    repository: str
    author: Person
    title: str
    body: str
    item_id: str | None
    commits: list[dict]
    merge_sha: str
    id: str | None = None


@dataclass
class Backlog:
    """Id counters and the open epics and features that new items hang under."""

    world: World
    numbers: dict[str, int] = field(default_factory=dict)
    epics: dict[str, list[str]] = field(default_factory=dict)  # art -> epic ids
    features: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (team, PI index) -> ids

    def next_id(self, prefix: str) -> str:
        n = self.numbers.get(prefix, _FIRST_NUMBER[prefix])
        self.numbers[prefix] = n + 1
        return f"{prefix}-{n}"

    def item(
        self,
        kind: str,
        prefix: str,
        team: Team,
        at: int,
        parent: str | None,
        title: str,
        points: float | None,
    ) -> Item:
        """A new item of the PI (and, for stories, the iteration) of ``at``."""
        _, pi, iteration = self.world.pi(at)
        if kind in ("epic", "feature", "risk"):
            iteration = None
        return Item(self.next_id(prefix), kind, team, pi, iteration, parent, title, points)

    def story(
        self, rng: random.Random, team: Team, created: int, kind: str, title: str | None = None
    ) -> list[Event]:
        """A story, enabler or defect with its whole lifecycle and pull requests."""
        off = team.utc_offset
        events: list[tuple[int, str | None, str]] = [(created, None, "backlog")]
        t = created
        if kind != "defect" and rng.random() < 0.5:
            t = later(rng, t, 4, 48, off)
            events.append((t, "backlog", "analyzing"))
        t = later(rng, t, 4, 120, off)
        events.append((t, events[-1][2], "ready"))
        t = started = later(rng, t, 2, 96, off)
        events.append((t, "ready", "in_progress"))
        points = rng.choices(*_POINTS)[0] if kind != "defect" else rng.choice((1, 2, 3))
        k = self.world.pi(started)[0]
        parent = None
        if kind != "defect" or rng.random() < 0.5:
            options = self.features.get((team.name, k)) or self.features.get((team.name, k - 1)) or [None]
            parent = rng.choice(options)
        item = self.item(
            kind,
            {"story": "STORY", "enabler": "ENB", "defect": "DEF"}[kind],
            team,
            started,
            parent,
            title or _title(rng, kind),
            points,
        )
        if rng.random() < 0.12:
            t = later(rng, t, 3, 24 * points**0.5, off)
            events.append((t, "in_progress", "blocked"))
            t = later(rng, t, 8, 72, off)
            events.append((t, "blocked", "in_progress"))
        out: list[Event] = []
        for rework in range(2 if rng.random() < 0.05 else 1):
            if rework:  # reopened after done
                t = later(rng, t, 24, 120, off)
                events.append((t, "done", "in_progress"))
            opened = later(rng, t, 3 * points**0.7, 14 * points**0.8, off)
            merged = opened
            for _ in range(2 if rng.random() < 0.15 else 1):
                pr_events, pr_merged = self.pull_request(rng, team, max(t, opened - 2 * DAY), opened, item)
                out.extend(pr_events)
                merged = max(merged, pr_merged or opened)
            events.append((opened, "in_progress", "in_review"))
            t = later(rng, merged, 0.5, 24, off)
            events.append((t, "in_review", "testing"))
            t = later(rng, t, 1, 48, off)
            events.append((t, "testing", "done"))
        out.extend((ts, "item", item, (src, dst)) for ts, src, dst in events)
        return out

    def pull_request(
        self, rng: random.Random, team: Team, begun: int, opened: int, item: Item | None, closes: bool = False
    ) -> tuple[list[Event], int | None]:
        """Commits, review and merge (or close) of one pull request; returns its events and merge time."""
        off = team.utc_offset
        author = rng.choice(team.members)
        others = [m for m in team.members if m is not author]
        repos = [s.repository for s in team.services] or [team.repository]
        commits = sorted(
            begun + rng.randrange(max(MINUTE, opened - begun - MINUTE)) for _ in range(rng.randint(1, 6))
        )
        pr = PullRequest(
            team,
            rng.choice(repos),
            author,
            f"{item.id}: {item.title}" if item else _chore(rng),
            _body(rng, self.world, item, others),
            item.id if item else None,
            [
                {
                    "sha": hex_id(rng, 40),
                    "committed_at": iso(ts),
                    "author_id": (author if rng.random() < 0.85 else rng.choice(others)).id,
                }
                for ts in commits
            ],
            hex_id(rng, 40),
        )
        events: list[Event] = [(opened, "pr", pr, ("opened", None))]
        reviewer = rng.choice(others)
        x = rng.random()
        t = opened
        if rng.random() < 0.35:
            t = later(rng, t, 0.3, 6, off)
            events.append((t, "pr", pr, ("reviewed", reviewer)))
        if x >= 0.03 and rng.random() < 0.2:
            t = later(rng, t, 0.5, 8, off)
            events.append((t, "pr", pr, ("changes_requested", reviewer)))
        if closes:
            t = later(rng, t, 8, 96, off)
            events.append((t, "pr", pr, ("closed", None)))
            return events, None
        if x >= 0.03:  # a few are merged without any approval, a few more approved by their own author
            t = later(rng, t, 0.3, 20, off)
            events.append((t, "pr", pr, ("approved", author if x < 0.045 else reviewer)))
        t = at_work(rng, t + rng.randrange(5 * MINUTE, 4 * HOUR), off)
        events.append((t, "pr", pr, ("merged", None)))
        return events, t

    def plan_pi(self, rng: random.Random, k: int, now: int) -> list[Event]:
        """Epics, features and risks created for PI ``k`` around its planning."""
        w = self.world
        begin = w.start + k * PI_DAYS * DAY
        out: list[Event] = []

        def life(item: Item, steps: list[tuple[int, str]]) -> None:
            """The item's moves; each at least an hour after the previous one."""
            prev, at = None, now - HOUR
            for ts, state in steps:
                at = max(ts, at + HOUR)
                out.append((at, "item", item, (prev, state)))
                prev = state

        for art in catalog.ARTS:
            teams = [t for t in w.teams if t.art == art]
            epics = self.epics.setdefault(art, [])
            for _ in range(rng.randint(1, 3)):
                created = begin - rng.randrange(2 * DAY, 9 * DAY)
                epic = self.item(
                    "epic", "EPIC", teams[0], begin, None, rng.choice(catalog.FEATURE_THEMES), None
                )
                epics.append(epic.id)
                t1 = created + rng.randrange(3 * DAY, 10 * DAY)
                t2 = begin + rng.randrange(0, 20 * DAY)
                life(
                    epic,
                    [
                        (created, "backlog"),
                        (t1, "analyzing"),
                        (t2, "in_progress"),
                        (t2 + rng.randrange(40 * DAY, 150 * DAY), "done"),
                    ],
                )
            del epics[:-6]
            for team in teams:
                off, ids = team.utc_offset, self.features.setdefault((team.name, k), [])
                for _ in range(rng.randint(4, 7)):
                    created = at_work(rng, begin - rng.randrange(2 * DAY, 9 * DAY), off)
                    title = f"{rng.choice(catalog.FEATURE_THEMES)}: {rng.choice(catalog.STORY_OBJECTS)}"
                    feat = self.item(
                        "feature", "FEAT", team, begin, rng.choice(epics), title, rng.randrange(20, 100)
                    )
                    ids.append(feat.id)
                    ready = at_work(rng, begin + rng.randrange(DAY), off)
                    go = at_work(rng, begin + rng.choice((0, 14, 28)) * DAY + rng.randrange(3 * DAY), off)
                    steps = [
                        (created, "backlog"),
                        (later(rng, created, 8, 60, off), "analyzing"),
                        (ready, "ready"),
                        (max(go, ready + HOUR), "in_progress"),
                    ]
                    if rng.random() < 0.85:
                        steps.append(
                            (at_work(rng, steps[-1][0] + rng.randrange(10 * DAY, 45 * DAY), off), "done")
                        )
                    life(feat, steps)
                for _ in range(rng.randint(1, 3)):
                    created = at_work(rng, begin + DAY + rng.randrange(8 * HOUR), off)
                    risk = self.item("risk", "RISK", team, begin, None, f"Risk: {_title(rng, 'risk')}", None)
                    t1 = later(rng, created, 2, 24, off)
                    life(
                        risk,
                        [(created, "backlog"), (t1, "analyzing"), (later(rng, t1, 24, 240, off), "done")],
                    )
        return out


def _title(rng: random.Random, kind: str) -> str:
    obj = rng.choice(catalog.STORY_OBJECTS)
    if kind == "defect":
        return (
            f"Fix {obj} {rng.choice(('timeout', 'rounding error', 'crash on empty input', 'wrong totals'))}"
        )
    if kind == "enabler":
        return f"{rng.choice(('Spike:', 'Upgrade', 'Instrument', 'Load-test'))} {obj}"
    if kind == "risk":
        return f"{obj} depends on an unplanned vendor change"
    return f"{rng.choice(catalog.STORY_VERBS)} {obj}"


def _chore(rng: random.Random) -> str:
    x = rng.random()
    if x < 0.4:
        return f"Bump {rng.choice(_PACKAGES)} from 1.{rng.randrange(20)}.0 to 1.{rng.randrange(20, 40)}.1"
    if x < 0.7:
        return f"Fix flaky test in {rng.choice(catalog.STORY_OBJECTS)}"
    return f"Tidy logging of {rng.choice(catalog.STORY_OBJECTS)}"


def _body(rng: random.Random, world: World, item: Item | None, others: list[Person]) -> str:
    text = f"Implements {item.id}." if item else "Maintenance."
    x = rng.random()
    if x < 0.2:
        mate = rng.choice(others)
        text += f" Thanks {mate.name} for pairing; cc {mate.email}"
    elif x < 0.3:
        tenant = rng.choice(world.tenants)
        customer = rng.choice([p for p in tenant.people if not p.service])
        text += f" Reported by {customer.name} ({customer.email}) of {tenant.name} via support."
    elif x < 0.45:
        text += f" Follow-up from review by @{rng.choice(others).email.split('@')[0]}."
    return text
