"""Data-quality asset checks: the Great Expectations suites of every bronze and silver table and every mart.

Bronze schema, nullability and key-uniqueness failures are blocking errors: nothing downstream materialises in
the same run. Every result is also appended to ``lake/governance/quality_results`` and rendered in Data Docs.
"""

import json

import dagster as dg

from ingestion.contracts import CONTRACTS
from opslake.dbt_project import MARTS_SCHEMA
from orchestration.lib.resources import LakeResource
from quality.suites import (
    REFERENCE_INPUTS,
    REFERENCES,
    SEVERITY,
    Suite,
    lake_suite,
    mart_suites,
)
from quality.validate import CheckOutcome, SuiteReport, check_lake_table, check_marts

CHECK_PREFIX = "quality_"  # op names of the check steps (run.py times them)
SUITE = "quality/suite"  # metadata of every check defined here: the Great Expectations suite it runs

DESCRIPTIONS = {
    "schema": "Columns and their types are those the contract declares.",
    "nullability": "Required fields are never null.",
    "accepted_values": "Enumerations hold only their accepted values.",
    "range": "Numbers lie within their declared range (no negative durations, costs or counts).",
    "uniqueness": "The exactly-once key is unique: event_id per event_date.",
    "referential": "Referenced ids are known.",
    "freshness": "The newest event is recent enough (quality/thresholds.yml).",
    "volume": "Rows of the latest complete day (mart: of the table) are within the band of recent history.",
}


def _specs(suite: Suite, extra_deps: dict[str, list[dg.AssetKey]] | None = None) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            check,
            asset=dg.AssetKey(list(suite.asset)),
            description=DESCRIPTIONS[check] if check != "referential" else _reference_text(suite),
            blocking=suite.blocking(check),
            additional_deps=(extra_deps or {}).get(check),
            metadata={SUITE: suite.name},
        )
        for check in suite.checks
    ]


def _reference_text(suite: Suite) -> str:
    return f"Referenced ids are known: {REFERENCES[suite.asset[1]][1]}."


def _results(report: SuiteReport, checks: tuple[str, ...], selected: set[dg.AssetCheckKey] | None = None):
    """One result per check of the definitions (a check with nothing to evaluate at run time passes)."""
    key = dg.AssetKey(list(report.suite.asset))
    for check in checks:
        if selected is not None and dg.AssetCheckKey(key, check) not in selected:
            continue
        outcome = report.outcomes.get(check) or CheckOutcome(
            report.suite.asset, check, SEVERITY[check], False, []
        )
        failures = [
            {
                "expectation": r.expectation,
                "column": r.column,
                "observed": r.observed_value,
                "expected": r.expected,
            }
            for r in outcome.failures
        ]
        metadata = {
            SUITE: report.suite.name,
            "expectations": len(outcome.results),
            "failed": len(failures),
            "failures": dg.MetadataValue.json(json.loads(json.dumps(failures[:20], default=str))),
            **{k: v for k, v in report.info.items() if k != "data_docs"},
        }
        if "data_docs" in report.info:
            metadata["data_docs"] = dg.MetadataValue.path(report.info["data_docs"])
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=check,
            passed=outcome.passed,
            severity=dg.AssetCheckSeverity.ERROR
            if outcome.severity == "error"
            else dg.AssetCheckSeverity.WARN,
            description=outcome.summary() if outcome.results else report.info.get("note", "nothing to check"),
            metadata=metadata,
        )


def lake_checks(layer: str, domain: str) -> dg.AssetChecksDefinition:
    """The checks of ``bronze/<domain>`` (the partitions of the run) or ``silver/<domain>`` (the table)."""
    suite = lake_suite(layer, CONTRACTS[domain])
    inputs = [dg.AssetKey(list(k)) for k in REFERENCE_INPUTS.get(domain, ())] if layer == "silver" else []

    @dg.multi_asset_check(
        name=f"{CHECK_PREFIX}{layer}_{domain}",
        specs=_specs(suite, {"referential": inputs}),
        description=f"Great Expectations suite {suite.name}.",
    )
    def _checks(context: dg.AssetCheckExecutionContext, lake: LakeResource):
        step = context.op_execution_context
        dates = None
        if layer == "bronze" and step.has_partition_key_range:
            dates = (step.partition_key_range.start, step.partition_key_range.end)
        report = check_lake_table(lake.settings(), layer, domain, context.run.run_id, dates)
        yield from _results(report, suite.checks)

    return _checks


def mart_checks(manifest: dict) -> list[dg.AssetChecksDefinition]:
    """The checks of every mart in the dbt manifest, in one step that may run any subset of them."""
    suites = mart_suites(manifest, MARTS_SCHEMA)
    if not suites:
        return []
    checks = {s.asset: s.checks for s in suites}

    @dg.multi_asset_check(
        name=f"{CHECK_PREFIX}marts",
        specs=[spec for s in suites for spec in _specs(s)],
        can_subset=True,
        description="Great Expectations suites of the marts, derived from the dbt manifest.",
    )
    def _checks(context: dg.AssetCheckExecutionContext, lake: LakeResource):
        selected = set(context.selected_asset_check_keys)
        names = sorted({k.asset_key.path[-1] for k in selected})
        for report in check_marts(lake.settings(), manifest, names, context.run.run_id):
            yield from _results(report, checks[report.suite.asset], selected)

    return [_checks]


def quality_checks(manifest: dict) -> list[dg.AssetChecksDefinition]:
    """The suites of every bronze and silver table and every mart."""
    lake = [lake_checks(layer, d) for layer in ("bronze", "silver") for d in CONTRACTS]
    return [*lake, *mart_checks(manifest)]
