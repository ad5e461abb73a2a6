"""Render ``docs/contracts.md`` from the contracts, so the documentation cannot drift from the code."""

from __future__ import annotations

import json

from ingestion.contracts import CONTRACTS, Contract, Field

HEADER = """# Event contracts

Generated from `ingestion/contracts.py` by `uv run opslake contracts`; a test fails when this file is stale.

Every domain requires `event_id`, `occurred_at` (UTC) and `tenant_id`. Input may be JSON lines, CSV or Parquet,
plain or gzipped. Fields a contract does not name are kept, as JSON, in the bronze column `_extra`. Bronze adds
`event_date` (the daily partition, UTC), `_source_file`, `_line` and `_ingested_at`.

A record that breaks its contract is quarantined in `lake/bronze/_quarantine` with its raw text and the first
reason below (all reasons are kept in `errors`):

| reason | meaning |
|---|---|
| `not_utf8` | the line is not valid UTF-8 |
| `invalid_json` | the line is not JSON |
| `not_an_object` | the line is JSON but not an object |
| `bad_csv_row` | a CSV row with a different number of cells than the header |
| `corrupt_file:<error>` | the file ends in a way it cannot be read past (for example a truncated gzip stream) |
| `missing_field:<name>` | a required field is absent, null or empty |
| `bad_type:<name>` | a value of the wrong type (a timestamp without a UTC offset is one) |
| `bad_value:<name>` | a value outside an enumeration |
| `out_of_range:<name>` | a number outside its bounds; an `occurred_at` more than a day in the future; any time before 2000 or from 2100 |

Kinds: `string`; `text` (free text, analysed for personal data); `enum`; `ip` (IPv4 or IPv6); `timestamp` (ISO 8601
with `Z` or an offset, stored in UTC); `integer`; `number`; `boolean` (CSV also takes `true/false/1/0`); `json` (an
object or list; in CSV, its JSON text).
"""


def render() -> str:
    parts = [HEADER]
    for contract in CONTRACTS.values():
        parts.append(_render_contract(contract))
    return "\n".join(parts)


def _render_contract(contract: Contract) -> str:
    lines = [f"## {contract.domain}", "", contract.description, ""]
    if contract.record_type_field:
        lines += [f"Records of several types, told apart by `{contract.record_type_field}`.", ""]
    if contract.id_from_content:
        lines += [
            "Input columns are named as in FOCUS (the `input` column); `event_id`, `occurred_at` and `tenant_id`"
            " are derived and not part of the input.",
            "",
        ]
    lines += [
        "| field | input | kind | required | meaning | example |",
        "|---|---|---|---|---|---|",
    ]
    lines += [_row(f) for f in contract.fields]
    return "\n".join(lines) + "\n"


def _row(f: Field) -> str:
    kind = f.kind
    if f.values:
        kind += ": " + ", ".join(f"`{v}`" for v in f.values)
    if f.minimum is not None or f.maximum is not None:
        lo = "" if f.minimum is None else f"{f.minimum:g}"
        hi = "" if f.maximum is None else f"{f.maximum:g}"
        kind += f" [{lo}..{hi}]"
    required = "yes" if f.required else (f"for {', '.join(f.required_for)}" if f.required_for else "no")
    example = "" if f.example is None else f"`{json.dumps(f.example)}`"
    return f"| `{f.name}` | `{f.input_name}` | {kind} | {required} | {f.description} | {example} |"
