"""OpenLineage run events (START, then COMPLETE or FAIL) with input and output datasets and column lineage.

Events go to ``OPSLAKE_HOME/openlineage/events.jsonl`` (one JSON event a line) or, when
``Settings.openlineage_url`` is set, to that HTTP endpoint (Marquez). Datasets share one namespace,
``opslake://<lake root>``, and are named like the lineage graph's tables (``bronze.audit``, ``marts.cost_daily``),
so the lake tables and the warehouse models they feed form one graph. Emitting never fails a step: an
unreachable endpoint costs a warning.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    column_lineage_dataset,
    error_message_run,
    parent_run,
    schema_dataset,
)
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.uuid import generate_new_uuid

from lineage.dbt import table_name
from lineage.graph import ALL, Edge, LineageGraph
from lineage.pii import MASKING
from opslake.settings import Settings

JOB_NAMESPACE = "opslake"
PRODUCER = "https://github.com/opslake/opslake/lineage"
EVENTS_FILE = "events.jsonl"
SUBTYPES = {"identity": "IDENTITY", "rename": "IDENTITY", "keep": "IDENTITY", "aggregation": "AGGREGATION"}
log = logging.getLogger(__name__)


def namespace(settings: Settings) -> str:
    return f"opslake://{settings.lake_root.removeprefix('file://')}"


def client(settings: Settings) -> OpenLineageClient:
    """A client with the file transport, or the HTTP transport when an endpoint is configured."""
    if settings.openlineage_url:
        retry = {"total": 2, "backoff_factor": 0.2, "allowed_methods": ["POST"]}
        transport = HttpTransport(HttpConfig(url=settings.openlineage_url, timeout=5.0, retry=retry))
    else:
        settings.openlineage_dir.mkdir(parents=True, exist_ok=True)
        path = str(settings.openlineage_dir / EVENTS_FILE)
        transport = FileTransport(FileConfig(log_file_path=path, append=True))
    return OpenLineageClient(transport=transport)


@dataclass(frozen=True)
class Parent:
    """The orchestrator run a step belongs to (the Dagster run)."""

    job: str
    run_id: str


class Emitter:
    """Emits the events of one settings' runs; failures to deliver are logged, never raised."""

    def __init__(self, settings: Settings, parent: Parent | None = None):
        self.settings = settings
        self.namespace = namespace(settings)
        self.parent = parent
        self._client = client(settings)

    def emit(self, event: RunEvent) -> None:
        try:
            self._client.emit(event)
        except Exception as e:  # lineage delivery must never fail the pipeline
            log.warning("OpenLineage event for %s not delivered: %s", event.job.name, e)

    def event(
        self,
        state: RunState,
        job: str,
        run_id: str,
        inputs: Iterable[str],
        outputs: Iterable[str],
        edges: Iterable[Edge] = (),
        columns: dict[str, list[str]] | None = None,
        error: str = "",
        at: dt.datetime | None = None,
    ) -> RunEvent:
        facets = {}
        if self.parent:
            facets["parent"] = parent_run.ParentRunFacet(
                run=parent_run.Run(runId=self.parent.run_id),
                job=parent_run.Job(namespace=JOB_NAMESPACE, name=self.parent.job),
            )
        if error:
            facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
                message=error[:4000], programmingLanguage="python"
            )
        edges = list(edges)
        return RunEvent(
            eventType=state,
            eventTime=(at or dt.datetime.now(dt.UTC)).isoformat(),
            run=Run(runId=run_id, facets=facets),
            job=Job(namespace=JOB_NAMESPACE, name=job),
            inputs=[InputDataset(namespace=self.namespace, name=name) for name in sorted(set(inputs))],
            outputs=[self._output(name, edges, (columns or {}).get(name)) for name in sorted(set(outputs))],
            producer=PRODUCER,
        )

    def _output(self, name: str, edges: list[Edge], columns: list[str] | None) -> OutputDataset:
        fields: dict[str, list[Edge]] = {}
        for e in edges:
            if e.target == name and e.source and ALL not in (e.source_column, e.target_column):
                fields.setdefault(e.target_column, []).append(e)
        facets = {}
        if fields:
            facets["columnLineage"] = column_lineage_dataset.ColumnLineageDatasetFacet(
                fields={col: self._fields(ins) for col, ins in sorted(fields.items())}
            )
        names = columns or sorted(fields)
        if names:
            facets["schema"] = schema_dataset.SchemaDatasetFacet(
                fields=[schema_dataset.SchemaDatasetFacetFields(name=n) for n in names]
            )
        return OutputDataset(namespace=self.namespace, name=name, facets=facets)

    def _fields(self, edges: list[Edge]) -> column_lineage_dataset.Fields:
        return column_lineage_dataset.Fields(
            inputFields=[
                column_lineage_dataset.InputField(
                    namespace=self.namespace,
                    name=e.source,
                    field=e.source_column,
                    transformations=[
                        column_lineage_dataset.Transformation(
                            type="DIRECT",
                            subtype=SUBTYPES.get(e.transformation, "TRANSFORMATION"),
                            description=e.transformation,
                            masking=e.transformation in MASKING,
                        )
                    ],
                )
                for e in sorted(edges)
            ]
        )

    @contextmanager
    def run(
        self, job: str, inputs: Iterable[str], outputs: Iterable[str], lineage=lambda: []
    ) -> Iterator[str]:
        """START now; COMPLETE (with ``lineage()``'s edges, computed after the step) or FAIL at the end."""
        run_id, inputs, outputs = str(generate_new_uuid()), list(inputs), list(outputs)
        self.emit(self.event(RunState.START, job, run_id, inputs, outputs))
        try:
            yield run_id
        except BaseException as e:
            self.emit(
                self.event(RunState.FAIL, job, run_id, inputs, outputs, error=f"{type(e).__name__}: {e}")
            )
            raise
        try:
            edges = list(lineage())
        except Exception as e:  # the step succeeded; its column lineage is a bonus
            log.warning("no column lineage for %s: %s", job, e)
            edges = []
        inputs = inputs + [e.source for e in edges if e.target in outputs]
        self.emit(self.event(RunState.COMPLETE, job, run_id, inputs, outputs, edges))


def emit_dbt_results(emitter: Emitter, run_results: dict, manifest: dict, graph: LineageGraph) -> int:
    """START and COMPLETE or FAIL for every model, snapshot and seed dbt ran, at dbt's own times."""
    states = {"success": RunState.COMPLETE, "error": RunState.FAIL}
    emitted = 0
    for result in run_results.get("results", []):
        props = manifest["nodes"].get(result["unique_id"])
        if (
            props is None
            or props["resource_type"] not in ("model", "snapshot", "seed")
            or (result["status"] not in states)
        ):
            continue
        name = table_name(props)
        parents = [
            manifest["nodes"].get(u) or manifest["sources"].get(u)
            for u in props["depends_on"].get("nodes", [])
        ]
        inputs = [table_name(p) for p in parents if p is not None]
        edges = [e for e in graph.edges if e.target == name]
        times = [
            t for step in result.get("timing", []) for t in (step.get("started_at"), step.get("completed_at"))
        ]
        times = [dt.datetime.fromisoformat(t.replace("Z", "+00:00")) for t in times if t]
        run_id, job = str(generate_new_uuid()), f"dbt.{name}"
        start, end = (min(times), max(times)) if times else (None, None)
        emitter.emit(emitter.event(RunState.START, job, run_id, inputs, [name], at=start))
        state = states[result["status"]]
        error = "" if state is RunState.COMPLETE else str(result.get("message") or "dbt error")
        columns = {name: graph.columns(name)}
        emitter.emit(emitter.event(state, job, run_id, inputs, [name], edges, columns, error, at=end))
        emitted += 1
    return emitted
