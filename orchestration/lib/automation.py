"""Automation conditions shared by the assets downstream of bronze."""

import dagster as dg

_c = dg.AutomationCondition

# `eager` without its "no dependency missing" clause: bronze keeps a partition per day since PARTITIONS_START,
# most of them empty, and those must not hold back the unpartitioned assets built from it.
EAGER_ALLOWING_MISSING_DAYS = (
    _c.in_latest_time_window()
    & (_c.newly_missing() | _c.any_deps_updated()).since_last_handled()
    & ~_c.any_deps_in_progress()
    & ~_c.in_progress()
    & _c.all_deps_blocking_checks_passed()  # a failed blocking bronze check holds everything downstream
).with_label("eager, missing bronze days allowed")
