"""Deterministic, coherent synthetic operations data of a multi-tenant SaaS platform.

``generate`` writes one folder per domain (audit, usage, incident, delivery: one JSONL file per day; cost: one
FOCUS CSV export per month). With ``native`` the records a real installation receives from GitHub, Jira and
PagerDuty are written as those systems send them instead, one folder per source (see ``demo.native``). A small
world (tenants, people, services, ARTs and teams) and a schedule of deployments and incidents are built from the
seed; then every day is generated and written on its own, so memory stays flat however many events are asked for. Nothing that happens after the moment of generation is
written, as in a real feed: the day of ``now`` stops there.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from demo.activity import activity_days
from demo.base import EventIds, day_name
from demo.cost import CostLedger
from demo.delivery import Delivery
from demo.incident import incident_day
from demo.native import NativeFeed
from demo.plan import Plan
from demo.world import build_world
from demo.writer import CostWriter, give_ids, jsonl, write_day
from opslake.tables import DOMAINS

__all__ = ["generate"]


def generate(
    out_dir: Path,
    *,
    days: int = 90,
    tenants: int = 12,
    events: int = 500_000,
    seed: int = 7,
    end: date | None = None,
    now: datetime | None = None,
    native: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Write ``days`` days ending on ``end`` (default: the UTC day of ``now``) of about ``events`` records.

    ``now`` (timezone-aware; default: the clock, read once) cuts the data: nothing after it is written, so a
    day not over yet stops there and days after it stay empty. Returns the records written per domain.
    ``progress(domain, n)`` is called after each day's file of ``n`` records. The same arguments always give
    byte-identical files; files of the same names in ``out_dir`` are overwritten, others are left alone. Large
    runs use worker processes. With ``native``, the counts name the native deliveries per source too.
    """
    if days < 1 or tenants < 1 or events < 0:
        raise ValueError("days and tenants must be at least 1 and events not negative")
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    now = now or datetime.now(UTC)
    end = end or now.astimezone(UTC).date()
    start = calendar.timegm((end - timedelta(days=days - 1)).timetuple())
    world_args = (seed, start, days, tenants, events, int(now.timestamp()))
    world = build_world(*world_args)
    plan = Plan(world)
    delivery, ledger = Delivery(world, plan), CostLedger(world)
    incident_ids, delivery_ids = EventIds("inc", world.run), EventIds("del", world.run)
    root = Path(out_dir)
    cost = CostWriter(root)
    counts = dict.fromkeys(DOMAINS, 0)
    feed = NativeFeed() if native else None
    if feed:
        counts.update(dict.fromkeys(feed.sources, 0))

    def emit(domain: str, n: int, name: str | None = None, data: bytes | bytearray = b"") -> None:
        if name:
            write_day(root, domain, name, data)
        counts[domain] += n
        if progress:
            progress(domain, n)

    try:
        for day, activity in enumerate(activity_days(world, plan, root, world_args, events)):
            name = day_name(world.day_start(day))
            emit("usage", activity.usage_records)
            emit("audit", activity.audit_records)
            for domain, records, ids in (
                ("incident", incident_day(world, plan, day), incident_ids),
                ("delivery", delivery.day_records(day), delivery_ids),
            ):
                if feed is None:
                    emit(domain, len(records), name, jsonl(records, ids, day))
                    continue
                give_ids(records, ids, day)
                records, deliveries = feed.split(records)
                emit(domain, len(records), name, jsonl(records))
                for source, wrappers in deliveries.items():
                    emit(source, len(wrappers), name, jsonl(wrappers))
            emit("cost", cost.write(name, ledger.rows(day, activity.totals)))
    finally:
        cost.close()
    return counts
