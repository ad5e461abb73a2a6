"""Shared helpers: seeded random streams, event ids, timestamps, counts and working hours."""

from __future__ import annotations

import functools
import hashlib
import math
import random
import time
from collections.abc import Sequence

DAY = 86_400
HOUR = 3_600
MINUTE = 60
_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15


def stream(seed: int, *parts: object) -> random.Random:
    """An independent, reproducible random stream for ``(seed, *parts)`` (parts are str or int)."""
    digest = hashlib.blake2b(repr((seed, *parts)).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


class EventIds:
    """Deterministic, unique, random-looking ids: ``<prefix>-`` and 16 hex digits.

    The id is a bijective scramble of ``(day, sequence)`` under a key from the run's arguments, so ids never
    collide within a run, and runs with other arguments get other ids.
    """

    def __init__(self, prefix: str, run: str) -> None:
        self.prefix = prefix + "-"
        self.key = int.from_bytes(hashlib.blake2b(f"{run}:{prefix}".encode(), digest_size=8).digest(), "big")

    def block(self, day: int, n: int) -> list[str]:
        """Ids of the records 0..n-1 of a day."""
        prefix, key, base = self.prefix, self.key, (day + 1) << 32
        xs = [((base | seq) ^ key) * _GOLDEN & _MASK64 for seq in range(n)]
        return [f"{prefix}{x ^ (x >> 29):016x}" for x in xs]


@functools.lru_cache(maxsize=8192)
def _day_prefix(day_number: int) -> str:
    return time.strftime("%Y-%m-%dT", time.gmtime(day_number * DAY))


def iso(ts: int) -> str:
    """Epoch seconds as ISO 8601 UTC with ``Z``."""
    d, r = divmod(ts, DAY)
    h, r = divmod(r, HOUR)
    m, s = divmod(r, MINUTE)
    return f"{_day_prefix(d)}{h:02d}:{m:02d}:{s:02d}Z"


def day_name(ts: int) -> str:
    """``YYYY-MM-DD`` of an epoch second."""
    return _day_prefix(ts // DAY)[:10]


def weekday(ts: int) -> int:
    """Monday 0 .. Sunday 6 (1970-01-01 was a Thursday)."""
    return (ts // DAY + 3) % 7


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (normal approximation for large means)."""
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder)."""
    s = sum(weights)
    if total <= 0 or s <= 0:
        return [0] * len(weights)
    raw = [total * w / s for w in weights]
    out = [int(x) for x in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def at_work(rng: random.Random, ts: int, utc_offset: int) -> int:
    """``ts`` if in working hours (08-18 local, Monday-Friday), else early on the next working day."""
    local = ts + utc_offset * HOUR
    day, sec = divmod(local, DAY)
    if (day + 3) % 7 < 5 and 8 * HOUR <= sec < 18 * HOUR:
        return ts
    if not ((day + 3) % 7 < 5 and sec < 8 * HOUR):
        day += 1
    while (day + 3) % 7 >= 5:
        day += 1
    return day * DAY + 8 * HOUR + rng.randrange(0, 2 * HOUR) - utc_offset * HOUR


def later(rng: random.Random, ts: int, low_hours: float, high_hours: float, utc_offset: int) -> int:
    """A working-hours time between ``low_hours`` and ``high_hours`` (log-uniform) after ``ts``."""
    hours = math.exp(rng.uniform(math.log(low_hours), math.log(high_hours)))
    return at_work(rng, ts + int(hours * HOUR), utc_offset)


def hex_id(rng: random.Random, digits: int) -> str:
    """Random lowercase hex of the given length."""
    return f"{rng.getrandbits(4 * digits):0{digits}x}"
