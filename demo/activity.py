"""Usage and audit of each day (most of the volume), generated in this process or in worker processes.

Both ways write the same bytes: a day depends only on the world and on its own random streams. Workers write
their day files themselves and hand back only counts and the usage totals that cost rows follow.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from demo.audit import AuditPlan, audit_day
from demo.base import EventIds, day_name
from demo.plan import Plan
from demo.usage import Totals, usage_day
from demo.world import World, build_world
from demo.writer import jsonl, write_day

PARALLEL_FROM = 200_000  # events from which worker processes are used, when there is more than one CPU


@dataclass
class DayActivity:
    """What a day of usage and audit left behind: record counts and the usage totals."""

    usage_records: int
    audit_records: int
    totals: Totals


class Activity:
    """Generates and writes days of usage and their audit trail."""

    def __init__(self, world: World, plan: Plan, root: Path) -> None:
        self.world, self.plan, self.root = world, plan, root
        self.audit_plan = AuditPlan(world)
        self.usage_targets = world.daily_targets("usage", weekend=0.3)
        self.audit_targets = world.daily_targets("audit", weekend=0.3)
        self.usage_ids, self.audit_ids = EventIds("use", world.run), EventIds("aud", world.run)

    def day(self, day: int) -> DayActivity:
        name = day_name(self.world.day_start(day))
        usage = usage_day(self.world, self.plan, day, self.usage_targets[day])
        audit = audit_day(self.world, self.audit_plan, day, usage.sessions, self.audit_targets[day])
        done = DayActivity(len(usage.records), len(audit), usage.totals)
        write_day(self.root, "usage", name, jsonl(usage.records, self.usage_ids, day))
        write_day(self.root, "audit", name, jsonl(audit, self.audit_ids, day))
        return done


def activity_days(
    world: World, plan: Plan, root: Path, world_args: tuple, events: int
) -> Iterator[DayActivity]:
    """Days 0, 1, ... in order; in worker processes for large runs (``world_args`` rebuild the world)."""
    global _worker
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = min(4, cpus)
    if events < PARALLEL_FROM or workers < 2:
        activity = Activity(world, plan, root)
        for day in range(world.days):
            yield activity.day(day)
        return
    # Workers only compute and write their own files, so forking is safe even if the caller runs threads;
    # forked workers share this process's world. Elsewhere workers are spawned and rebuild it.
    if sys.platform == "linux":
        _worker = Activity(world, plan, root)
        # Frozen objects are never scanned by a worker's collector, so it does not copy the parent's pages
        gc.freeze()
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    else:
        pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(world_args, root))
    try:
        pending: deque[Future] = deque()
        for day in range(world.days):
            pending.append(pool.submit(_worker_day, day))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(cancel_futures=True)
        gc.unfreeze()
        _worker = None


_worker: Activity | None = None


def _start_worker(world_args: tuple, root: Path) -> None:
    global _worker
    world = build_world(*world_args)
    _worker = Activity(world, Plan(world), root)


def _worker_day(day: int) -> DayActivity:
    assert _worker is not None
    return _worker.day(day)
