"""Daily event-date partitions shared by bronze and the facts that follow it."""

import datetime as dt

import dagster as dg

# The earliest event date opslake keeps partitions for (the FOCUS sample starts in 2024-09).
PARTITIONS_START = "2024-01-01"

DAILY = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)


def partition_range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run cover the daily partitions ``first``..``last`` inclusive."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def run_window(spans: list[tuple[dt.date, dt.date] | None], today: dt.date) -> tuple[str, str]:
    """The partitions a bronze run covers: the files' event-date spans, clipped to the partitions that exist.

    Falls back to today's partition when no date is known or every date lies outside: files are ingested
    whatever dates they hold, and the run has to target some partition.
    """
    known = [s for s in spans if s]
    if known:
        lo = max(str(min(s[0] for s in known)), PARTITIONS_START)
        hi = min(str(max(s[1] for s in known)), str(today))
        if lo <= hi:
            return lo, hi
    return str(today), str(today)
