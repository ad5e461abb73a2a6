"""Great Expectations: each suite's frames validated as GE suites, results and Data Docs kept under OPSLAKE_HOME.

The file context lives in ``quality/gx`` (suites, validation definitions, validation results); Data Docs are a
static site in ``quality/data_docs``. GE takes seconds to import: it is imported on first use, once per
process, with analytics off in the context's own configuration.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from opslake.settings import Settings
from quality.frames import Frames
from quality.results import Result
from quality.suites import SEVERITY, Expectation, Suite

SITE = "opslake"
SOURCE = "opslake"
PARTIAL = 10  # unexpected values kept per failed expectation
KEEP_RUNS = 5  # validation results of each suite kept for Data Docs
_contexts: dict[Path, Any] = {}


def docs_index(settings: Settings) -> Path:
    return settings.quality_dir / "data_docs" / "index.html"


@contextmanager
def locked(settings: Settings) -> Iterator[None]:
    """One process at a time writes the GE project (steps of a multi-process run may check at once)."""
    path = settings.quality_dir / ".lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def context(settings: Settings):
    """The GE file context of this home, created and configured on first use."""
    root = settings.quality_dir
    if root not in _contexts:
        os.environ["GX_ANALYTICS_ENABLED"] = "false"
        import great_expectations as gx

        ctx = gx.get_context(mode="file", project_root_dir=root)
        site = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_index(settings).parent),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
        variables = ctx.variables
        configured = (
            variables.analytics_enabled,
            variables.config_variables_file_path,
            variables.data_docs_sites,
        )
        if configured != (False, None, {SITE: site}):
            variables.analytics_enabled = False
            variables.progress_bars = {"globally": False, "metric_calculations": False}
            variables.config_variables_file_path = None  # read again at every validation otherwise
            variables.data_docs_sites = {SITE: site}
            variables.save()
            ctx = gx.get_context(mode="file", project_root_dir=root)
        _contexts[root] = ctx
    return _contexts[root]


def validate(
    settings: Settings, suite: Suite, frames: Frames, run_name: str, now: dt.datetime
) -> tuple[list[Result], list[Any]]:
    """Validate every frame of a suite with GE: one result per expectation, and the GE result identifiers."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    ctx = context(settings)
    try:
        source = ctx.data_sources.get(SOURCE)
    except KeyError:
        source = ctx.data_sources.add_pandas(SOURCE)
    run_id = RunIdentifier(run_name=run_name, run_time=now)
    results: list[Result] = []
    identifiers = []
    saved = _saved_suites(settings)
    for frame in suite.frames():
        table = frames.tables[frame]
        expectations = [e for e in suite.expectations if e.frame == frame]
        name = f"{suite.name}.{frame}"
        definition = _definition(settings, ctx, source, name, expectations, saved)
        outcome = _run(definition, frame, table, frames.parameters, run_id)
        by_position = {r.expectation_config.meta["position"]: r for r in outcome.results}
        results += [
            _result(suite, e, by_position[i], table, frames.parameters) for i, e in enumerate(expectations)
        ]
        identifiers.append(
            ValidationResultIdentifier(ExpectationSuiteIdentifier(name), run_id, outcome.batch_id)
        )
    return results, identifiers


def _run(definition, frame: str, table: pa.Table, parameters: dict, run_id):
    """Run a validation. Rows pass almost always: the basic result format costs a third less, and a failure is
    validated again in full (same run, same stored result), naming the unexpected rows by their key."""
    dataframe = table.combine_chunks().to_pandas()
    outcome = None
    for level in ("BASIC", "SUMMARY") if frame == "rows" else ("SUMMARY",):
        if outcome is None or not outcome.success:
            index = _index_columns(frame, table) if level == "SUMMARY" else []
            outcome = definition.run(
                batch_parameters={"dataframe": dataframe},
                expectation_parameters=parameters,
                result_format={
                    "result_format": level,
                    "partial_unexpected_count": PARTIAL,
                    "unexpected_index_column_names": index,
                },
                run_id=run_id,
            )
    return outcome


def build_docs(settings: Settings, identifiers: list[Any]) -> dict[str, Path]:
    """Render validation results as Data Docs pages (the index is rebuilt separately); their paths by suite."""
    context(settings).build_data_docs(site_names=[SITE], resource_identifiers=identifiers, build_index=False)
    site = docs_index(settings).parent / "validations"
    return {
        i.expectation_suite_identifier.name: Path(site, *i.to_tuple()[:-1], f"{i.to_tuple()[-1]}.html")
        for i in identifiers
    }


def _definition(settings: Settings, ctx, source, name: str, expectations: list[Expectation], saved: dict):
    """The GE validation definition of a frame's suite, saved again only when the suite changed."""
    import great_expectations as gx

    fingerprint = hashlib.sha256(
        orjson.dumps(expectations, default=str, option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
    definition = _saved_definition(ctx, name) if saved.get(name) == fingerprint else None
    if definition is None:  # new or changed: saving a suite costs more than validating it
        gx_suite = ctx.suites.add_or_update(
            gx.ExpectationSuite(
                name=name, expectations=[_gx_expectation(e, i) for i, e in enumerate(expectations)]
            )
        )
        definition = ctx.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=name, data=_batch_definition(source, name), suite=gx_suite)
        )
        saved[name] = fingerprint
        _saved_suites_path(settings).write_bytes(orjson.dumps(saved, option=orjson.OPT_SORT_KEYS))
    return definition


def _saved_suites_path(settings: Settings) -> Path:
    return settings.quality_dir / "saved_suites.json"


def _saved_suites(settings: Settings) -> dict[str, str]:
    """Fingerprints of the suites as last saved to the GE project, by name."""
    path = _saved_suites_path(settings)
    return orjson.loads(path.read_bytes()) if path.exists() else {}


def _saved_definition(ctx, name: str):
    from great_expectations.exceptions import DataContextError

    try:
        return ctx.validation_definitions.get(name)
    except DataContextError:
        return None


def build_index(settings: Settings) -> Path:
    """Prune old validation results and rebuild the Data Docs index (once per run: it reads every result)."""
    ctx = context(settings)
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    _prune(ctx)
    nothing = [ExpectationSuiteIdentifier(name="-")]  # an empty list would render every page again
    ctx.build_data_docs(site_names=[SITE], resource_identifiers=nothing, build_index=True)
    return docs_index(settings)


def _prune(ctx) -> None:
    """Keep the last KEEP_RUNS results of each suite (quality_results keeps the whole history)."""
    store = ctx.validation_results_store
    by_suite: dict[str, list] = {}
    for key in store.list_keys():
        by_suite.setdefault(key.expectation_suite_identifier.name, []).append(key)
    for keys in by_suite.values():
        for key in sorted(keys, key=lambda k: k.run_id.run_time)[:-KEEP_RUNS]:
            store.remove_key(key)


def _batch_definition(source, name: str):
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition("frame")
    except KeyError:
        return asset.add_batch_definition_whole_dataframe("frame")


def _gx_expectation(e: Expectation, position: int):
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    kwargs: dict[str, Any] = dict(e.kwargs)
    if e.when:
        column, op, value = e.when
        conditions = {"in": lambda c: c.is_in(value), ">=": lambda c: c >= value}
        kwargs["row_condition"] = conditions[op](Column(column))
    return getattr(gxe, e.type)(**kwargs, meta={"check": e.check, "position": position})


def _index_columns(frame: str, table: pa.Table) -> list[str]:
    """Columns that name an unexpected row in the results: the column, the event or the referenced id."""
    key = {"schema": "column", "rows": "event_id", "references": table.column_names[0]}.get(frame)
    return [key] if key in table.column_names else []


def _result(suite: Suite, e: Expectation, r, table: pa.Table, parameters: dict) -> Result:
    info = r.result or {}
    if (r.exception_info or {}).get("raised_exception"):
        observed: object = {"error": r.exception_info.get("exception_message")}
    elif "observed_value" in info:  # an aggregate: the mart's row count
        observed = info["observed_value"]
    elif table.num_rows == 1 and e.column in table.column_names:
        observed = table[e.column][0].as_py()
    else:
        observed = {
            k: info[k][:PARTIAL] if isinstance(info[k], list) else info[k]
            for k in (
                "element_count",
                "unexpected_count",
                "partial_unexpected_list",
                "partial_unexpected_index_list",
            )
            if k in info
        }
    expected = {
        k: parameters.get(v["$PARAMETER"]) if isinstance(v, dict) and "$PARAMETER" in v else v
        for k, v in e.kwargs.items()
        if k not in ("column", "column_list")
    }
    if e.when:
        expected["where"] = f"{e.when[0]} {e.when[1]} {e.when[2]}"
    return Result(
        "/".join(suite.asset),
        e.check,
        r.expectation_config.type,
        e.column,
        SEVERITY[e.check],
        bool(r.success),
        _plain(observed),
        expected,
    )


def _plain(value):
    """Python values for JSON: pandas' NaN for a missing value becomes None, numpy scalars Python ones, times text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dt.date):  # datetime too
        return value.isoformat()
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        return _plain(value.item())
    return value
