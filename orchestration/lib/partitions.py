"""Daily event-date partitions shared by bronze and the facts that follow it."""

import dagster as dg

# The earliest event date opslake keeps partitions for (the FOCUS sample starts in 2024-09).
PARTITIONS_START = "2024-01-01"

DAILY = dg.DailyPartitionsDefinition(start_date=PARTITIONS_START, end_offset=1)


def partition_range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run cover the daily partitions ``first``..``last`` inclusive."""
    return {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}


def clip_to_partitions(first: str, last: str, today: str) -> tuple[str, str] | None:
    """Clip an event-date range to the partitions that exist (start .. today + 1); None if it misses them."""
    lo, hi = max(first, PARTITIONS_START), min(last, today)
    return (lo, hi) if lo <= hi else None
