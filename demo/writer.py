"""Writers: compact JSON lines per domain and day, one FOCUS CSV export per month."""

from __future__ import annotations

from pathlib import Path

import orjson

from demo.base import EventIds
from demo.cost import HEADER

_OPTION = orjson.OPT_APPEND_NEWLINE


def jsonl(records: list[dict], ids: EventIds | None = None, day: int = 0) -> bytearray:
    """The records as JSON lines, each given its event id (unless ``ids`` is None: then they have theirs);
    consumes ``records`` to keep memory flat."""
    dumps = orjson.dumps
    data = bytearray()  # appending keeps allocation cheap; many live small bytes objects would not
    if ids is not None:
        give_ids(records, ids, day)
    for i, rec in enumerate(records):
        records[i] = None
        data += dumps(rec, option=_OPTION)
    records.clear()
    return data


def give_ids(records: list[dict], ids: EventIds, day: int) -> None:
    """Set each of a day's records' event id (the same ids whatever format the records are written in)."""
    for rec, event_id in zip(records, ids.block(day, len(records)), strict=True):
        rec["event_id"] = event_id


def write_day(root: Path, domain: str, date: str, data: bytes | bytearray) -> None:
    """Write ``<root>/<domain>/YYYY-MM-DD.jsonl``."""
    folder = root / domain
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{date}.jsonl").write_bytes(data)


class CostWriter:
    """Appends daily rows to ``<root>/cost/focus-YYYY-MM.csv``, starting each month's file with the header."""

    def __init__(self, root: Path) -> None:
        self.folder = root / "cost"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.month: str | None = None
        self.file = None

    def write(self, date: str, lines: list[str]) -> int:
        if date[:7] != self.month:
            self.close()
            self.month = date[:7]
            path = self.folder / f"focus-{self.month}.csv"
            self.file = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (kept open across days)
            self.file.write(HEADER)
        self.file.write("".join(lines))
        return len(lines)

    def close(self) -> None:
        if self.file:
            self.file.close()
            self.file = None
