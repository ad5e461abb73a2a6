"""Retention: delete rows past each table's retention period, purge their history, and record it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from deltalake import DeltaTable

from opslake import lake
from opslake.settings import Settings
from opslake.tables import lake_tables
from privacy.operations import privileged

RETENTION_FILE = Path(__file__).with_name("retention.yml")


def retention_policy(path: Path = RETENTION_FILE) -> dict[str, dict]:
    tables = (yaml.safe_load(path.read_text()) or {}).get("tables", {})
    known = {str(t) for t in lake_tables(marts=())}
    for name, rule in tables.items():
        if name not in known:
            raise ValueError(
                f"{path}: {name} is not a lake table; expected one of {', '.join(sorted(known))}"
            )
        if not isinstance(rule.get("days"), int) or rule["days"] < 1 or not rule.get("column"):
            raise ValueError(f"{path}: {name} needs whole `days` >= 1 and a date `column`")
    return tables


def apply_retention(settings: Settings, today: dt.date, policy: dict[str, dict] | None = None) -> list[dict]:
    """Delete what each table keeps too long; return one record per table that lost rows."""
    policy = retention_policy() if policy is None else policy
    removed = []
    with privileged(settings, "retention", {"today": today.isoformat()}) as details:
        for name, rule in policy.items():
            layer, table_name = name.split("/", 1)
            table = lake.open_table(settings.table_uri(layer, table_name))
            if table is None:
                continue
            cutoff = today - dt.timedelta(days=rule["days"])
            before = table.version()
            deleted = table.delete(f"\"{rule['column']}\" < '{cutoff.isoformat()}'")["num_deleted_rows"]
            if deleted:
                files = lake.purge_history(DeltaTable(table.table_uri))
                removed.append(
                    {
                        "table": name,
                        "cutoff": cutoff.isoformat(),
                        "rows_deleted": deleted,
                        "version_before": before,
                        "files_purged": files,
                    }
                )
        details["removed"] = removed
    return removed
