"""Run the suites: frames, Great Expectations, one outcome per check, results to quality_results, Data Docs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion.contracts import contract_for
from opslake.settings import Settings
from privacy.catalog import catalog
from quality import frames as framing
from quality import gx
from quality.results import Result, observed_history, record
from quality.suites import SEVERITY, Suite, lake_suite, mart_suites, thresholds


@dataclass
class CheckOutcome:
    """One check of one table (all its expectations of one kind)."""

    asset: tuple[str, str]
    check: str
    severity: str
    blocking: bool
    results: list[Result]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> list[Result]:
        return [r for r in self.results if not r.passed]

    def summary(self) -> str:
        """One line for people: what failed, how much of it, and examples."""
        if self.passed:
            return f"{len(self.results)} expectations passed"
        failed = "; ".join(_describe(r) for r in self.failures[:5])
        more = f"; and {len(self.failures) - 5} more" if len(self.failures) > 5 else ""
        return f"{len(self.failures)} of {len(self.results)} expectations failed: {failed}{more}"


def _describe(r: Result) -> str:
    observed, subject = r.observed_value, r.column or r.expectation
    if isinstance(observed, dict) and "unexpected_count" in observed:
        # Rows named by their key (an event id, a referenced id) say most; bare row positions say nothing.
        named = [i for i in observed.get("partial_unexpected_index_list") or [] if isinstance(i, dict)]
        examples = named or observed.get("partial_unexpected_list") or []
        return f"{subject}: {observed['unexpected_count']} of {observed['element_count']} unexpected, e.g. {examples[:3]}"
    return f"{subject}: observed {observed}, expected {r.expected}"


@dataclass
class SuiteReport:
    suite: Suite
    outcomes: dict[str, CheckOutcome]
    info: dict[str, Any] = field(default_factory=dict)


def lake_table_suite(settings: Settings, layer: str, domain: str) -> Suite:
    """The suite of a bronze or silver table; silver's follows the classification catalog's policies."""
    contract = contract_for(domain)
    if layer == "bronze":
        return lake_suite(layer, contract)
    policies = {column: cls.policy for (_, column), cls in catalog(settings, domain).items()}
    return lake_suite(layer, contract, policies)


def check_lake_table(
    settings: Settings,
    layer: str,
    domain: str,
    run_id: str,
    dates: tuple[str, str] | None = None,
    now: dt.datetime | None = None,
) -> SuiteReport:
    """Validate ``bronze/<domain>`` (the event dates ``dates``, or all) or ``silver/<domain>``; record it."""
    now = now or dt.datetime.now(dt.UTC)
    suite = lake_table_suite(settings, layer, domain)
    with gx.locked(settings):
        frames = framing.lake_frames(settings, suite, dates, now)
        report, identifiers = _validate(settings, suite, frames, run_id, now)
        if frames is not None:
            report.info["data_docs"] = _page(gx.build_docs(settings, identifiers), suite)
            _record(settings, [report], run_id, now, frames.info)
    return report


def check_marts(
    settings: Settings,
    manifest: Mapping[str, Any],
    names: list[str],
    run_id: str,
    now: dt.datetime | None = None,
) -> list[SuiteReport]:
    """Validate the named marts of the dbt manifest in the warehouse (ranges, volume); record them at once."""
    now = now or dt.datetime.now(dt.UTC)
    suites = [s for s in mart_suites(manifest) if s.asset[1] in names]
    runs = thresholds()["volume"]["runs"]
    reports, identifiers = [], []
    with gx.locked(settings):
        for suite in suites:
            history = observed_history(settings, "/".join(suite.asset), "volume", runs)
            frames = framing.mart_frames(settings, suite, history)
            report, ids = _validate(settings, suite, frames, run_id, now)
            reports.append(report)
            identifiers += ids
        if identifiers:
            pages = gx.build_docs(settings, identifiers)
            gx.build_index(settings)  # the marts are checked last in a run: its index is complete now
            for report in reports:
                if report.suite.name + ".rows" in pages:
                    report.info["data_docs"] = _page(pages, report.suite)
            _record(settings, reports, run_id, now, {})
    return reports


def _validate(
    settings: Settings, suite: Suite, frames, run_id: str, now: dt.datetime
) -> tuple[SuiteReport, list]:
    found, identifiers = ([], []) if frames is None else gx.validate(settings, suite, frames, run_id, now)
    outcomes = {
        check: CheckOutcome(
            suite.asset, check, SEVERITY[check], suite.blocking(check), [r for r in found if r.check == check]
        )
        for check in suite.checks
    }
    info = dict(frames.info) if frames is not None else {"note": "no table yet: nothing to check"}
    return SuiteReport(suite, outcomes, info), identifiers


def _record(
    settings: Settings, reports: list[SuiteReport], run_id: str, now: dt.datetime, info: dict[str, Any]
) -> None:
    found = [r for report in reports for o in report.outcomes.values() for r in o.results]
    record(
        settings,
        found,
        run_id,
        now,
        partitions=info.get("partitions"),
        table_version=info.get("table_version"),
    )


def _page(pages: dict[str, Path], suite: Suite) -> str:
    """The Data Docs page of a suite's rows (or of its first frame)."""
    return str(pages.get(f"{suite.name}.rows") or pages[f"{suite.name}.{suite.frames()[0]}"])


def data_docs(settings: Settings, rebuild: bool = True) -> Path:
    """The Data Docs index, rebuilt first (pruning old results) when asked and there is anything to show."""
    if rebuild and (settings.quality_dir / "gx").exists():
        with gx.locked(settings):
            gx.build_index(settings)
    return gx.docs_index(settings)
