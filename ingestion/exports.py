"""Restated exports: a FOCUS bill restates whole billing periods, so its rows are keyed by their export.

An export of a group (the contract's ``export_key``: provider, billing account, billing period) is the multiset of
the group's rows in one file. Its id is the SHA-256 of their content ids, sorted: the same export delivered again,
in any order or encoding, has the same id and its rows are duplicates, while a restated export (a row changed,
added or removed) has a new id, and so new row ids throughout. Staging keeps, per group, the export delivered
last; the ones it supersedes stay in bronze, findable by their ``export_id``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict

import pyarrow as pa

from ingestion.contracts import Contract
from ingestion.validate import Parsed, Validated


def keyed_by_export(
    contract: Contract, chunks: list[tuple[Validated, Parsed]]
) -> list[tuple[Validated, Parsed]]:
    """The chunks of one file with ``export_id`` set and each content id made specific to its export."""
    members: dict[tuple, list[str]] = defaultdict(list)
    for validated, _ in chunks:
        for key, content_id in zip(
            _groups(contract, validated.table), validated.table["event_id"].to_pylist(), strict=True
        ):
            members[key].append(content_id)
    export_ids = {key: _sha("\n".join(sorted(ids))) for key, ids in members.items()}
    out = []
    for validated, parsed in chunks:
        table = validated.table
        exports = [export_ids[key] for key in _groups(contract, table)]
        ids = [_sha(f"{e}:{c}") for e, c in zip(exports, table["event_id"].to_pylist(), strict=True)]
        table = table.set_column(
            table.schema.get_field_index("event_id"), "event_id", pa.array(ids, pa.string())
        )
        table = table.set_column(
            table.schema.get_field_index("export_id"), "export_id", pa.array(exports, pa.string())
        )
        out.append((Validated(table, validated.rejected), parsed))
    return out


def _groups(contract: Contract, table: pa.Table) -> list[tuple]:
    return list(zip(*(table[name].to_pylist() for name in contract.export_key), strict=True))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
