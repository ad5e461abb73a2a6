"""Restated exports: a FOCUS bill restates whole billing periods, so its rows are keyed by their export.

An export of a group (the contract's ``export_key``: provider, billing account, billing period) is the multiset of
the group's rows in one file. Its id is the SHA-256 of their content ids, sorted: the same export delivered again,
in any order or encoding, has the same id and its rows are duplicates, while a restated export (a row changed,
added or removed) has a new id, and so new row ids throughout. Staging keeps, per group, the export delivered
last; the ones it supersedes stay in bronze, findable by their ``export_id``.
"""

from __future__ import annotations

import hashlib

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.contracts import Contract
from ingestion.validate import Parsed, Validated


def keyed_by_export(
    contract: Contract, chunks: list[tuple[Validated, Parsed]]
) -> list[tuple[Validated, Parsed]]:
    """The chunks of one file with ``export_id`` set and each content id made specific to its export."""
    if not chunks:
        return chunks
    keys = [_group_keys(contract, validated.table) for validated, _ in chunks]
    members = pl.DataFrame(
        {
            "key": pl.Series(pa.concat_arrays(keys)),
            "id": pl.Series(pa.concat_arrays([v.table["event_id"].combine_chunks() for v, _ in chunks])),
        }
    )
    exports = members.group_by("key").agg(pl.col("id").sort().str.join("\n"))
    export_ids = {key: _sha(ids) for key, ids in exports.iter_rows()}
    out = []
    for (validated, parsed), key in zip(chunks, keys, strict=True):
        table = validated.table
        exports = [export_ids[k] for k in key.to_pylist()]
        ids = [_sha(f"{e}:{c}") for e, c in zip(exports, table["event_id"].to_pylist(), strict=True)]
        table = table.set_column(
            table.schema.get_field_index("event_id"), "event_id", pa.array(ids, pa.string())
        )
        table = table.set_column(
            table.schema.get_field_index("export_id"), "export_id", pa.array(exports, pa.string())
        )
        out.append((Validated(table, validated.rejected), parsed))
    return out


def _group_keys(contract: Contract, table: pa.Table) -> pa.Array:
    """Each row's export group as one string (a null cell is NUL, which no FOCUS value holds)."""
    cells = [
        pc.fill_null(pc.cast(table[name].combine_chunks(), pa.string()), "\x00")
        for name in contract.export_key
    ]
    return pc.binary_join_element_wise(*cells, "\x1f")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
