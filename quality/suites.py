"""Expectation suites derived from the single definitions: the contracts (bronze, silver) and the dbt manifest (marts).

Plain data, no Great Expectations import: an expectation names a GE expectation class with its arguments, the
frame it is evaluated on (``rows``: the table's rows; ``schema``: one row per column; ``stats``: one row of a
lake table's statistics; ``references``: one row per referenced id) and the check it belongs to.

Bronze and silver suites check everything their contract states. A mart suite checks only what dbt does
not: the ranges of numeric columns and the row count against earlier runs. A mart's types, not-null columns,
accepted values and grain are dbt's (its enforced contract and its tests, which dagster-dbt runs as asset
checks of their own), so each rule is checked, and each failure shown, once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ingestion.contracts import Contract
from opslake.dbt_project import MARTS_SCHEMA

THRESHOLDS_FILE = Path(__file__).with_name("thresholds.yml")

CHECKS = (
    "schema",
    "nullability",
    "accepted_values",
    "range",
    "uniqueness",
    "referential",
    "freshness",
    "volume",
)
ERROR, WARN = "error", "warn"
SEVERITY = {c: ERROR if c in ("schema", "nullability", "uniqueness") else WARN for c in CHECKS}
# Bronze errors stop promotion: silver and the marts are not built from a table that fails them.
BLOCKING_LAYERS = ("bronze",)

# Referential rules on silver: the referencing column, what it must be found in, and the tables that tells.
REFERENCES = {
    "delivery": ("pr_id", "pull requests that deployments ship (pr_ids) appear as pull_request records"),
    "incident": ("service", "incidents name services seen in usage or in the SLO objectives seed"),
}
REFERENCE_INPUTS = {"incident": (("silver", "usage"),)}

NUMERIC_TYPE = re.compile(r"int|double|float|real|decimal|numeric")


@cache
def thresholds(path: Path = THRESHOLDS_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


@dataclass(frozen=True)
class Expectation:
    check: str
    frame: str
    type: str  # a class of great_expectations.expectations
    kwargs: Mapping[str, Any]
    when: tuple[str, str, Any] | None = None  # row condition (column, "in" or ">=", value)

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column") or ",".join(self.kwargs.get("column_list", ())) or None


@dataclass(frozen=True)
class Suite:
    """What is expected of one table (asset key ``(layer, table)``)."""

    asset: tuple[str, str]
    expectations: tuple[Expectation, ...]
    expected_types: Mapping[str, str] = field(default_factory=dict)  # column -> Arrow type name (lake tables)

    @property
    def name(self) -> str:
        return ".".join(self.asset)

    @property
    def layer(self) -> str:
        return self.asset[0]

    @property
    def checks(self) -> tuple[str, ...]:
        present = {e.check for e in self.expectations}
        return tuple(c for c in CHECKS if c in present)

    def frames(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.frame for e in self.expectations))

    def columns(self, frame: str = "rows") -> list[str]:
        """Columns of the table a frame needs: those named by its expectations and row conditions."""
        names: dict[str, None] = {}
        for e in self.expectations:
            if e.frame == frame:
                for c in (e.kwargs.get("column"), *e.kwargs.get("column_list", ()), e.when and e.when[0]):
                    if c:
                        names[c] = None
        return list(names)

    def blocking(self, check: str) -> bool:
        return self.layer in BLOCKING_LAYERS and SEVERITY[check] == ERROR


def _expect(check: str, frame: str, type: str, when=None, **kwargs) -> Expectation:
    return Expectation(check, frame, type, kwargs, when)


# One expectation per table: a missing column (no observed type), an unexpected one (no expected type) and a
# column of another type all show as unequal pairs, named by the frame's `column`.
SCHEMA_EXPECTATIONS = (
    _expect(
        "schema",
        "schema",
        "ExpectColumnPairValuesToBeEqual",
        column_A="observed_type",
        column_B="expected_type",
    ),
)


# The only column meta a mart suite reads (`meta: {quality: {min: ..., max: ...}}`, `min: null` opts out).
MART_COLUMN_META = ("min", "max")

ROWS_BAND = {"min_value": {"$PARAMETER": "rows_min"}, "max_value": {"$PARAMETER": "rows_max"}}


def _volume() -> Expectation:
    """Rows of a lake table's latest complete day within the band of earlier weeks (when there are enough)."""
    when = ("history_points", ">=", thresholds()["volume"]["min_history"])
    return _expect("volume", "stats", "ExpectColumnValuesToBeBetween", when, column="rows", **ROWS_BAND)


def lake_suite(layer: str, contract: Contract, policies: Mapping[str, str] | None = None) -> Suite:
    """The suite of ``bronze/<domain>`` or ``silver/<domain>`` from the domain's contract.

    ``policies`` (silver) maps columns to their classification policy: dropped columns are not expected, and
    values are only compared with the contract where masking keeps them (``keep``).
    """
    policies = policies or {}
    kept = [f for f in contract.fields if policies.get(f.name, "keep") != "drop"]
    rows: list[Expectation] = []
    for f in kept:
        if f.required:
            rows.append(_expect("nullability", "rows", "ExpectColumnValuesToNotBeNull", column=f.name))
        elif f.required_for:
            when = (contract.record_type_field, "in", list(f.required_for))
            rows.append(_expect("nullability", "rows", "ExpectColumnValuesToNotBeNull", when, column=f.name))
    for f in (f for f in kept if policies.get(f.name, "keep") == "keep"):
        if f.values:
            rows.append(
                _expect(
                    "accepted_values",
                    "rows",
                    "ExpectColumnValuesToBeInSet",
                    column=f.name,
                    value_set=list(f.values),
                )
            )
        if f.minimum is not None or f.maximum is not None:
            bounds = {"min_value": f.minimum, "max_value": f.maximum}
            rows.append(
                _expect(
                    "range",
                    "rows",
                    "ExpectColumnValuesToBeBetween",
                    column=f.name,
                    **{k: v for k, v in bounds.items() if v is not None},
                )
            )
    rows.append(
        _expect(
            "uniqueness", "rows", "ExpectCompoundColumnsToBeUnique", column_list=["event_date", "event_id"]
        )
    )
    stats = [_volume()]
    if layer == "bronze":
        hours = thresholds()["freshness_hours"]
        stats.insert(
            0,
            _expect(
                "freshness",
                "stats",
                "ExpectColumnValuesToBeBetween",
                column="age_hours",
                max_value=hours.get(contract.domain, hours["default"]),
            ),
        )
    elif contract.domain in REFERENCES:
        column = REFERENCES[contract.domain][0]
        share = thresholds()["references"][contract.domain]
        stats.append(
            _expect(
                "referential",
                "references",
                "ExpectColumnValuesToNotBeNull",
                column=f"known_{column}",
                **({"mostly": share} if share < 1 else {}),
            )
        )
    types = {
        f.name: arrow_type_name(f.type)
        for f in contract.arrow_schema()
        if policies.get(f.name, "keep") != "drop"
    }
    return Suite((layer, contract.domain), (*SCHEMA_EXPECTATIONS, *rows, *stats), types)


def arrow_type_name(type) -> str:
    """One name per logical Arrow type (Delta reads strings back as string, large_string or string_view)."""
    text = str(type)
    return "string" if text in ("large_string", "string_view", "large_utf8", "utf8") else text


def mart_suites(manifest: Mapping[str, Any], schema: str = MARTS_SCHEMA) -> list[Suite]:
    """One suite per dbt model in ``schema``: the ranges and the volume of each mart (dbt tests the rest)."""
    models = [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"].get("schema") == schema
    ]
    return sorted((mart_suite(n, schema) for n in models), key=lambda s: s.name)


def mart_suite(node: Mapping[str, Any], schema: str = MARTS_SCHEMA) -> Suite:
    """The suite of one mart: the ranges of its numeric columns and its row count against earlier counts.

    Only what dbt does not check. dbt's tests of the model (``not_null``, ``unique``, ``accepted_values``,
    ``relationships``) are Dagster asset checks of their own (dagster-dbt), and its enforced contract
    guarantees the declared columns, types and constraints: none of them is checked again here.
    """
    name = node.get("alias") or node["name"]
    model_meta = (node["config"].get("meta") or {}).get("quality") or {}
    if model_meta:
        raise ValueError(
            f"{name}: model meta `quality: {model_meta}` is not checked by the mart suites; "
            "declare the grain as a dbt `unique_combination_of_columns` test"
        )
    rows = []
    for c, col in node["columns"].items():
        meta = (col.get("meta") or {}).get("quality") or {}
        unknown = set(meta) - set(MART_COLUMN_META)
        if unknown:
            raise ValueError(
                f"{name}.{c}: `meta: {{quality: ...}}` takes only {list(MART_COLUMN_META)}, not "
                f"{sorted(unknown)}; declare not-null or accepted values as dbt tests"
            )
        bounds = _bounds(c, col.get("data_type"), meta)
        if bounds:
            rows.append(_expect("range", "rows", "ExpectColumnValuesToBeBetween", column=c, **bounds))
    volume = _expect("volume", "rows", "ExpectTableRowCountToBeBetween", **ROWS_BAND)  # band: earlier counts
    return Suite((schema, name), (*rows, volume))


def _bounds(column: str, data_type: str | None, meta: Mapping[str, Any]) -> dict[str, float]:
    """Range of a mart column: its ``meta.quality`` min/max, else >= 0 for numeric durations, costs, counts."""
    if "min" in meta or "max" in meta:
        return {
            k: meta[k2] for k, k2 in (("min_value", "min"), ("max_value", "max")) if meta.get(k2) is not None
        }
    words = set(column.lower().split("_"))
    numeric = data_type is not None and NUMERIC_TYPE.search(data_type.lower())
    if numeric and words & set(thresholds()["non_negative_words"]):
        return {"min_value": 0}
    return {}
