"""Render ``docs/contracts.md`` from the contracts, so the documentation cannot drift from the code.

Everything on the page comes from ``ingestion/contracts.py`` except what the marts hold in their own configuration,
which is read from there too: the dbt vars the rules name (``dbt_project.yml``) and the values of the seeds the
marts look fields up in (``transforms/seeds``). Editing either makes the page stale until it is generated again.
"""

from __future__ import annotations

import csv
import json

from ingestion.contracts import CONTRACTS, RULES, Contract, Field, SeedLookup
from opslake.dbt_project import SEED_DIR, VARS

ADMINISTRATIVE_ACTIONS = "compliance_administrative_actions"  # the dbt var the review control reads
SEED_VALUES_LISTED = 20  # a seed with more distinct values than this is summarised by its count

HEADER = """# Event contracts

Generated from `ingestion/contracts.py` by `uv run opslake contracts`; a test fails when this file is stale.

This page is all a new source needs: for every domain, the fields (what each means, whether it is required),
what the marts do with each field and what a missing or wrong value costs, the values the marts recognise, the
rules that join domains, and the reviewed seeds the marts look values up in. The metrics themselves are defined
in [metrics.md](metrics.md).

Every domain requires `event_id`, `occurred_at` (UTC) and `tenant_id`. Input may be JSON lines, CSV or Parquet,
plain or gzipped. Fields a contract does not name are kept, as JSON, in the bronze column `_extra`, and no mart
reads them. Bronze adds `event_date` (the daily partition, UTC), `_source_file`, `_line` and `_ingested_at`.
A field that is not required may be absent or null; "for <type>" means required on records of that type.

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
| `not_in_seed:<seed>:<name>` | a value outside an enumeration that a seed defines (the marts need the seed's row for it): add it to the seed by review, then ingest the file again |
| `out_of_range:<name>` | a number outside its bounds; an `occurred_at` more than a day in the future; any time before 2000 or from 2100 |

Kinds: `string`; `text` (free text, analysed for personal data); `enum`; `ip` (IPv4 or IPv6); `timestamp` (ISO 8601
with `Z` or an offset, stored in UTC); `integer`; `number`; `boolean` (CSV also takes `true/false/1/0`); `json` (an
object or list; in CSV, its JSON text).
"""


def render() -> str:
    parts = [HEADER, _render_rules()]
    for contract in CONTRACTS.values():
        parts.append(_render_contract(contract))
    return "\n".join(parts)


def _render_rules() -> str:
    lines = ["## Across domains", ""]
    lines += [f"- {rule}" for rule in RULES]
    lines += ["", f"The operator tenant is `{VARS['operator_tenant']}` (dbt var `operator_tenant`).", ""]
    return "\n".join(lines)


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
    lines += ["", f"### What the marts do with {contract.domain} fields", ""]
    used = [f for f in contract.fields if f.use]
    lines += [f"- `{f.name}`: {f.use}" for f in used]
    unused = [f"`{f.name}`" for f in contract.fields if not f.use]
    if unused:
        lines += [
            f"- No mart reads {', '.join(unused)}: they are kept in silver, masked by their classification."
        ]
    for f in contract.fields:
        if f.known_values:
            lines += ["", *_render_known_values(f)]
    if contract.rules:
        lines += ["", "### Rules", ""]
        lines += [f"- {rule}" for rule in contract.rules]
    if contract.seeds:
        lines += ["", "### Seeds the marts look values up in", ""]
        lines += [_render_seed(s) for s in contract.seeds]
    return "\n".join(lines) + "\n"


def _render_known_values(f: Field) -> list[str]:
    administrative = set(VARS[ADMINISTRATIVE_ACTIONS]) if f.name == "action" else set()
    lines = [f"### `{f.name}` values the marts recognise", ""]
    if administrative:
        lines += [
            f"Marked *admin*: the actions that count as acting as an administrator (dbt var "
            f"`{ADMINISTRATIVE_ACTIONS}`): a successful one by a `user`, like approving a privileged grant, shows "
            "an administrator whose access the quarterly review must cover even when no grant of theirs is in the "
            "data.",
            "",
        ]
    lines += ["| value | what the marts do with it |", "|---|---|"]
    for value, meaning in f.known_values:
        mark = " *admin*" if value in administrative else ""
        lines.append(f"| `{value}`{mark} | {meaning} |")
    return lines


def _render_seed(seed: SeedLookup) -> str:
    with (SEED_DIR / f"{seed.seed}.csv").open(newline="") as file:
        values = list(dict.fromkeys(row[seed.key] for row in csv.DictReader(file)))
    fields = ", ".join(f"`{f}`" for f in seed.fields)
    if len(values) > SEED_VALUES_LISTED:
        listed = f"{len(values)} values"
    else:
        listed = ", ".join(f"`{v}`" for v in values)
    name = seed.seed.rsplit("/", 1)[-1]
    return (
        f"- `{name}` (`transforms/seeds/{seed.seed}.csv`), looked up by {fields} in its column `{seed.key}` "
        f"(today: {listed}). {seed.purpose}"
    )


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
