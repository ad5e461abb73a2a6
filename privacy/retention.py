"""Retention: delete rows past each table's retention period, purge their history, and record it."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path

import pyarrow as pa
import yaml
from deltalake import DeltaTable, QueryBuilder

from opslake import lake
from opslake.settings import Settings
from opslake.tables import lake_tables
from privacy.operations import privileged

RETENTION_FILE = Path(__file__).with_name("retention.yml")


@dataclass(frozen=True)
class Expired:
    """What retention removed (in a dry run: would remove) from one table."""

    table: str
    cutoff: dt.date  # rows dated before it go
    rows: int
    partitions: int  # partitions emptied: tables partitioned by their retention column lose whole ones
    files_purged: int = 0

    def as_dict(self) -> dict:
        return asdict(self) | {"cutoff": self.cutoff.isoformat()}


class PolicyError(ValueError):
    """The reviewed retention file cannot be applied as it stands."""


def retention_policy(path: Path = RETENTION_FILE) -> dict[str, dict]:
    try:
        tables = (yaml.safe_load(path.read_text()) or {}).get("tables", {})
    except yaml.YAMLError as e:
        raise PolicyError(f"{path} is not valid YAML: {e}") from e
    known = {str(t) for t in lake_tables(marts=())}
    for name, rule in tables.items():
        if name not in known:
            raise PolicyError(
                f"{path}: {name} is not a lake table; expected one of {', '.join(sorted(known))}"
            )
        if not isinstance(rule.get("days"), int) or rule["days"] < 1 or not rule.get("column"):
            raise PolicyError(f"{path}: {name} needs whole `days` >= 1 and a date `column`")
    return tables


def apply_retention(
    settings: Settings, today: dt.date, policy: dict[str, dict] | None = None, dry_run: bool = False
) -> list[Expired]:
    """Delete what each table keeps too long and purge its history; one record per existing table of the policy.

    Applying it twice on a day removes nothing the second time and commits nothing. A dry run only counts, and
    is not recorded (it changes nothing). The caller holds the lake's writer lock (``lake.lake_writer``).
    """
    policy = retention_policy() if policy is None else policy
    if dry_run:
        return [e for name, rule in policy.items() if (e := _expire(settings, name, rule, today, False))]
    with privileged(settings, "retention", {"today": today.isoformat()}) as details:
        expired = [e for name, rule in policy.items() if (e := _expire(settings, name, rule, today, True))]
        details["removed"] = [e.as_dict() for e in expired if e.rows]
    return expired


def _expire(settings: Settings, name: str, rule: dict, today: dt.date, delete: bool) -> Expired | None:
    layer, table_name = name.split("/", 1)
    table = lake.open_table(settings.table_uri(layer, table_name))
    if table is None:
        return None
    cutoff = today - dt.timedelta(days=rule["days"])
    predicate = f"\"{rule['column']}\" < '{cutoff.isoformat()}'"
    rows, partitions = _count(table, rule["column"], predicate)
    if not (delete and rows):
        return Expired(name, cutoff, rows, partitions)
    deleted = table.delete(predicate)["num_deleted_rows"]
    return Expired(name, cutoff, deleted, partitions, lake.purge_history(DeltaTable(table.table_uri)))


def _count(table: DeltaTable, column: str, predicate: str) -> tuple[int, int]:
    """Rows the predicate matches, and the partitions they fill when the table is partitioned by ``column``
    (the same predicate the delete uses, so the count is what it removes)."""
    partitioned = column in table.metadata().partition_columns
    distinct = f'count(distinct "{column}")' if partitioned else "0"
    query = f"select count(*) as n, {distinct} as p from t where {predicate}"
    counts = pa.table(QueryBuilder().register("t", table).execute(query).read_all()).to_pylist()[0]
    return counts["n"], counts["p"]
