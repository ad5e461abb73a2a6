"""Delivery: the engineering organisation (tenant ``t-platform``) simulated day by day.

Work items and pull requests are generated whole when created and replayed in time order from a heap.
Deployments come from the plan and carry the merged pull requests of their repository not yet deployed to
their environment. The simulation starts four weeks before the range so that work is already in flight on
the first day; nothing before the range is written, and PRs merged before it count as deployed.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from dataclasses import dataclass

from demo.base import DAY, HOUR, at_work, iso, poisson, stream, weekday
from demo.catalog import FEATURE_THEMES, OPERATOR
from demo.plan import Deployment, Plan
from demo.work import Backlog, Event, Item, PullRequest
from demo.world import PI_DAYS, Team, World

WARMUP_DAYS = 28
_RECORDS_PER_STORY = 12.5  # work-item and pull-request records per story, standalone PRs included
_RECORDS_PER_TEAM_PI = 45  # features, epics, risks and objectives per team and PI
_SEGMENTS = ("enterprise tenants", "EU customers", "self-serve sign-ups", "partners", "all tenants")


@dataclass(slots=True)
class Objective:
    """A team's PI objective."""

    id: str
    team: Team
    pi: str
    title: str
    committed: bool
    planned: int
    actual: int


class Delivery:
    """Replays the engineering organisation's events; call ``day_records`` for days 0, 1, 2, ... in order."""

    def __init__(self, world: World, plan: Plan) -> None:
        self.world, self.plan = world, plan
        self.backlog = Backlog(world)
        self.heap: list[tuple[int, int, str, object, object]] = []
        self.seq = itertools.count()
        self.pending: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)  # merged, not deployed
        self.pr_numbers: dict[str, int] = {}
        self.planned_pis: set[int] = set()
        self.causes = {inc.deployment.id for inc in plan.incidents if inc.deployment}
        self.day = -WARMUP_DAYS
        weekdays = sum(weekday(world.day_start(d)) < 5 for d in range(world.days))
        per_pi = _RECORDS_PER_TEAM_PI * len(world.teams) * world.days / PI_DAYS
        rest = world.targets["delivery"] - len(plan.deployments) - per_pi
        per_weekday = max(0.0, rest) / _RECORDS_PER_STORY / max(1, weekdays)
        self.story_rate = per_weekday / sum(t.throughput for t in world.teams)

    def day_records(self, day: int) -> list[dict]:
        """Records of ``day`` in time order, without event ids."""
        while self.day < day:
            self._step(self.day)
        return self._step(day)

    def _push(self, events: list[Event], now: int) -> None:
        for ts, kind, obj, arg in events:
            heapq.heappush(self.heap, (max(ts, now), next(self.seq), kind, obj, arg))

    def _step(self, day: int) -> list[dict]:
        w, now = self.world, self.world.day_start(day)
        self.day = day + 1
        if day == 0:
            self.pending.clear()
        for k in (w.pi(now)[0], w.pi(now + 10 * DAY)[0]):
            if k not in self.planned_pis:
                self.planned_pis.add(k)
                self._push(self.backlog.plan_pi(stream(w.seed, "pi", k), k, now), now)
                self._push(self._objectives(k), now)
        for team in w.teams:
            self._spawn(team, day, now)
        if day >= 0:
            self._push([(d.finished, "deploy", d, None) for d in self.plan.deployments_on(day)], now)
            self._postmortems(day, now)
        out = []
        end = min(now + DAY, w.now)
        while self.heap and self.heap[0][0] < end:
            ts, _, kind, obj, arg = heapq.heappop(self.heap)
            rec = self._record(ts, kind, obj, arg)
            if day >= 0 and rec:
                out.append(rec)
        return out

    def _spawn(self, team: Team, day: int, now: int) -> None:
        """New stories, enablers, defects and standalone pull requests of a team's working day."""
        if weekday(now) >= 5:
            return
        rng = stream(self.world.seed, "delivery", team.name, day)
        off = team.utc_offset
        for _ in range(poisson(rng, self.story_rate * team.throughput)):
            created = at_work(rng, now + int((8 - off + rng.uniform(0, 10)) * HOUR), off)
            kind = rng.choices(("story", "enabler", "defect"), (70, 15, 15))[0]
            self._push(self.backlog.story(rng, team, created, kind), now)
        for _ in range(poisson(rng, 0.4 * self.story_rate * team.throughput)):
            opened = at_work(rng, now + int((8 - off + rng.uniform(0, 10)) * HOUR), off)
            begun = opened - rng.randrange(HOUR, 48 * HOUR)
            events, _ = self.backlog.pull_request(rng, team, begun, opened, None, closes=rng.random() < 0.08)
            self._push(events, now)

    def _postmortems(self, day: int, now: int) -> None:
        """A defect for the owning team after each resolved sev1/sev2 incident."""
        for ts, step, inc in self.plan.incident_events(day):
            if step == len(inc.acks) + 1 and inc.severity in ("sev1", "sev2"):
                team = self.world.owner[inc.service.name]
                rng = stream(self.world.seed, "postmortem", inc.index)
                created = at_work(rng, ts + rng.randrange(HOUR, 20 * HOUR), team.utc_offset)
                self._push(
                    self.backlog.story(rng, team, created, "defect", f"Postmortem {inc.id}: {inc.title}"), now
                )

    def _objectives(self, k: int) -> list[Event]:
        """Objectives planned at PI planning (day 2) and scored at the end of the PI, if it ends in range."""
        w = self.world
        rng = stream(w.seed, "objectives", k)
        begin, name = w.start + k * PI_DAYS * DAY, w.pi_name(k)
        scored = begin + PI_DAYS * DAY <= w.end
        out: list[Event] = []
        for team in w.teams:
            n = rng.randint(3, 6)
            for i in range(n + rng.randint(1, 2)):
                committed = i < n
                planned = rng.randint(5, 10) if committed else rng.randint(2, 7)
                if committed:
                    actual = max(0, planned - rng.choices((0, 1, 2, 3, 5), (45, 25, 15, 10, 5))[0])
                else:
                    actual = 0 if rng.random() < 0.4 else max(0, planned - rng.randrange(3))
                title = f"Deliver {rng.choice(FEATURE_THEMES)} to {rng.choice(_SEGMENTS)}"
                obj = Objective(
                    f"OBJ-{name[3:]}-{team.code}-{i + 1:02d}", team, name, title, committed, planned, actual
                )
                out.append((begin + DAY + (15 - team.utc_offset) * HOUR, "objective", obj, False))
                if scored:
                    out.append((begin + 67 * DAY + (14 - team.utc_offset) * HOUR, "objective", obj, True))
        return out

    def _record(self, ts: int, kind: str, obj: object, arg: object) -> dict | None:
        if kind == "item":
            return self._item(ts, obj, arg)
        if kind == "pr":
            return self._pull_request(ts, obj, arg)
        if kind == "deploy":
            return self._deployment(obj)
        return self._objective(ts, obj, arg)

    def _head(self, ts: int, record_type: str, team: Team) -> dict:
        _, pi, iteration = self.world.pi(ts)
        return {
            "event_id": None,
            "occurred_at": iso(ts),
            "tenant_id": OPERATOR[0],
            "record_type": record_type,
            "art": team.art,
            "team": team.name,
            "pi": pi,
            "iteration": iteration,
        }

    def _item(self, ts: int, item: Item, move: tuple[str | None, str]) -> dict:
        rec = self._head(ts, "work_item", item.team)
        rec.update(
            pi=item.pi,
            iteration=item.iteration,
            work_item_id=item.id,
            work_item_type=item.type,
            parent_id=item.parent,
            title=item.title,
            from_state=move[0],
            to_state=move[1],
            story_points=item.points,
        )
        return rec

    def _pull_request(self, ts: int, pr: PullRequest, step: tuple) -> dict:
        action, reviewer = step
        if action == "opened":
            n = self.pr_numbers.get(pr.repository, 400 + 13 * len(pr.repository))
            self.pr_numbers[pr.repository] = n + 1
            pr.id = f"{pr.repository}/pr-{n}"
        elif action == "merged":
            for env in ("staging", "production"):
                self.pending[pr.repository, env].append((ts, pr.id))
        rec = self._head(ts, "pull_request", pr.team)
        rec.update(
            pr_id=pr.id,
            repository=pr.repository,
            pr_action=action,
            author_id=pr.author.id,
            author_email=pr.author.email,
            title=pr.title,
        )
        if pr.item_id:
            rec["work_item_id"] = pr.item_id
        if reviewer is not None:
            rec["reviewer_id"] = reviewer.id
        if action == "opened":
            rec["body"] = pr.body
        elif action == "merged":
            rec.update(commits=pr.commits, merge_commit_sha=pr.merge_sha)
        return rec

    def _deployment(self, d: Deployment) -> dict | None:
        """The deployment with the merged PRs it ships; a pipeline run with nothing to ship is skipped."""
        queue = self.pending[d.service.repository, d.environment]
        included = [pr_id for merged, pr_id in queue if merged < d.started]
        if not included and d.id not in self.causes:
            return None
        if d.status == "success":
            queue[:] = [(m, p) for m, p in queue if m >= d.started]
        rec = self._head(d.finished, "deployment", d.team)
        rec.update(
            deployment_id=d.id,
            service=d.service.name,
            repository=d.service.repository,
            environment=d.environment,
            deployment_status=d.status,
            started_at=iso(d.started),
            pr_ids=included,
        )
        return rec

    def _objective(self, ts: int, obj: Objective, scored: bool) -> dict:
        rec = self._head(ts, "pi_objective", obj.team)
        rec.update(
            pi=obj.pi,
            objective_id=obj.id,
            title=obj.title,
            committed=obj.committed,
            planned_business_value=obj.planned,
        )
        if scored:
            rec["actual_business_value"] = obj.actual
        return rec
