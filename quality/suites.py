"""Expectation suites derived from the single definitions: the contracts (bronze, silver) and the dbt manifest (marts).

Plain data, no Great Expectations import: an expectation names a GE expectation class with its arguments, the
frame it is evaluated on (``rows``: the table's rows; ``schema``: one row per column; ``stats``: one row of a
lake table's statistics; ``references``: one row per referenced id) and the check it belongs to.
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
    when: tuple[str, str, Any] | None = None  # row condition (column, "in", ">=" or "==", value)

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column") or ",".join(self.kwargs.get("column_list", ())) or None


@dataclass(frozen=True)
class Suite:
    """What is expected of one table (asset key ``(layer, table)``)."""

    asset: tuple[str, str]
    expectations: tuple[Expectation, ...]
    expected_types: Mapping[str, str]  # column -> Arrow type name (lake) or dbt data_type (marts)
    computed: Mapping[str, str] = field(default_factory=dict)  # rows-frame column -> SQL expression (marts)

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


ROWS_BAND = {"min_value": {"$PARAMETER": "rows_min"}, "max_value": {"$PARAMETER": "rows_max"}}


def _volume() -> Expectation:
    """Rows of a lake table's latest day within the band of earlier weeks (when there are enough of them)."""
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


def mart_suites(manifest: Mapping[str, Any], schema: str = "marts") -> list[Suite]:
    """One suite per dbt model in ``schema``, from the manifest's columns, contracts, tests and meta."""
    nodes = manifest["nodes"].values()
    tests: dict[str, list[dict]] = {}
    for n in nodes:
        if n["resource_type"] == "test" and n.get("attached_node") and n.get("test_metadata"):
            tests.setdefault(n["attached_node"], []).append(n)
    models = [n for n in nodes if n["resource_type"] == "model" and n["config"].get("schema") == schema]
    return sorted(
        (mart_suite(n, tests.get(n["unique_id"], []), schema) for n in models), key=lambda s: s.name
    )


def mart_suite(node: Mapping[str, Any], tests: list[Mapping[str, Any]], schema: str = "marts") -> Suite:
    """The suite of one mart: declared types, not-null and accepted values, ranges, the grain, volume.

    A dbt test on an expression (``column_name: "a || '|' || b"``, or ``"x between 0 and 1"`` with accepted
    value true) is validated on that expression, and a test's ``where`` config becomes a row condition: both
    are computed by DuckDB into columns of their own.
    """
    columns = node["columns"]
    meta = {c: (col.get("meta") or {}).get("quality") or {} for c, col in columns.items()}
    computed: dict[str, str] = {}

    def column_of(expression: str, prefix: str = "expression") -> str:
        if expression in columns:
            return expression
        alias = next((a for a, e in computed.items() if e == expression), f"{prefix}_{len(computed) + 1}")
        computed[alias] = expression
        return alias

    # (column or columns, row condition) -> accepted values, for each kind of test
    not_null: dict[tuple, None] = {}
    accepted: dict[tuple, list] = {}
    grains: dict[tuple, None] = {}
    for t in tests:
        name, kwargs = t["test_metadata"]["name"], t["test_metadata"].get("kwargs") or {}
        if not kwargs.get("column_name"):
            continue
        where = (t.get("config") or {}).get("where")
        when = (column_of(f"case when ({where}) then 1 else 0 end", "where"), "==", 1) if where else None
        column = column_of(kwargs["column_name"])
        if name == "not_null":
            not_null[(column, when)] = None
        elif name == "accepted_values":
            values = kwargs.get("values") or (kwargs.get("arguments") or {}).get("values") or []
            accepted[(column, when)] = list(values)
        elif name == "unique":
            grains[((column,), when)] = None
    for c, col in columns.items():
        for constraint in col.get("constraints") or []:
            if constraint["type"] in ("not_null", "primary_key"):
                not_null[(c, None)] = None
            if constraint["type"] in ("unique", "primary_key"):
                grains[((c,), None)] = None
        if meta[c].get("not_null"):
            not_null[(c, None)] = None
        if "accepted_values" in meta[c]:
            accepted[(c, None)] = list(meta[c]["accepted_values"])
    for constraint in node.get("constraints") or []:
        if constraint["type"] in ("unique", "primary_key") and constraint.get("columns"):
            grains[(tuple(constraint["columns"]), None)] = None
    model_meta = (node["config"].get("meta") or {}).get("quality") or {}
    if model_meta.get("grain"):
        grains[(tuple(model_meta["grain"]), None)] = None

    rows = [_expect("nullability", "rows", "ExpectColumnValuesToNotBeNull", w, column=c) for c, w in not_null]
    rows += [
        _expect("accepted_values", "rows", "ExpectColumnValuesToBeInSet", w, column=c, value_set=v)
        for (c, w), v in accepted.items()
    ]
    for c, col in columns.items():
        bounds = _bounds(c, col.get("data_type"), meta[c])
        if bounds:
            rows.append(_expect("range", "rows", "ExpectColumnValuesToBeBetween", column=c, **bounds))
    for grain, w in grains:
        if len(grain) == 1:
            rows.append(_expect("uniqueness", "rows", "ExpectColumnValuesToBeUnique", w, column=grain[0]))
        else:
            rows.append(
                _expect("uniqueness", "rows", "ExpectCompoundColumnsToBeUnique", w, column_list=list(grain))
            )
    types = {c: col["data_type"] for c, col in columns.items() if col.get("data_type")}
    name = node.get("alias") or node["name"]
    volume = _expect("volume", "rows", "ExpectTableRowCountToBeBetween", **ROWS_BAND)  # band: earlier counts
    return Suite((schema, name), (*SCHEMA_EXPECTATIONS, *rows, volume), types, computed)


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
