"""OpenLineage events: START then COMPLETE (with column lineage) or FAIL, to files by default or over HTTP."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer

import dagster as dg
import pytest

from lineage.graph import Edge
from lineage.openlineage import EVENTS_FILE, Emitter, namespace
from orchestration.lib.resources import LakeResource

EDGES = [
    Edge("bronze.audit", "actor_email", "silver.audit", "actor_email", "pseudonymize", "silver/audit"),
    Edge("bronze.audit", "tenant_id", "silver.audit", "tenant_id", "keep", "silver/audit"),
]


def _events(settings) -> list[dict]:
    path = settings.openlineage_dir / EVENTS_FILE
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_a_step_is_a_start_then_a_complete_with_its_column_lineage(settings):
    with Emitter(settings).run("silver.audit", ["bronze.audit"], ["silver.audit"], lambda: EDGES):
        pass
    start, complete = _events(settings)
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    assert start["run"]["runId"] == complete["run"]["runId"]
    assert start["job"] == {"namespace": "opslake", "name": "silver.audit", "facets": {}}
    assert [d["name"] for d in complete["inputs"]] == ["bronze.audit"]
    (output,) = complete["outputs"]
    assert output["namespace"] == namespace(settings) == f"opslake://{settings.lake_root}"
    fields = output["facets"]["columnLineage"]["fields"]
    (email,) = fields["actor_email"]["inputFields"]
    assert (email["name"], email["field"]) == ("bronze.audit", "actor_email")
    assert email["transformations"][0]["masking"] is True
    assert fields["tenant_id"]["inputFields"][0]["transformations"][0]["subtype"] == "IDENTITY"


def test_a_failing_step_is_a_start_then_a_fail_with_the_error(settings):
    with pytest.raises(ZeroDivisionError), Emitter(settings).run("gold.x", ["marts.x"], ["gold.x"]):
        raise ZeroDivisionError("division by zero")
    start, fail = _events(settings)
    assert (start["eventType"], fail["eventType"]) == ("START", "FAIL")
    assert "ZeroDivisionError" in fail["run"]["facets"]["errorMessage"]["message"]


def test_a_failing_asset_emits_fail(settings):
    from orchestration.defs.gold.assets import gold_tables

    key = dg.AssetKey(["gold", "cost_daily"])
    result = dg.materialize(
        [gold_tables(["cost_daily"])],
        selection=[key],
        resources={"lake": LakeResource.of(settings)},
        raise_on_error=False,
    )
    assert not result.success  # there is no warehouse to publish from
    events = _events(settings)
    assert [e["eventType"] for e in events] == ["START", "FAIL"]
    assert events[0]["job"]["name"] == ".".join(key.path)
    assert events[0]["run"]["facets"]["parent"]["run"]["runId"] == result.run_id
    assert [d["name"] for d in events[0]["inputs"]] == [f"marts.{key.path[-1]}"]


class _Collector(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, json.loads(body)))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_events_go_to_the_http_endpoint_when_one_is_configured(settings):
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        with Emitter(replace(settings, openlineage_url=url)).run(
            "silver.audit", [], ["silver.audit"], lambda: EDGES
        ):
            pass
    finally:
        server.shutdown()
        server.server_close()
    assert [(path, e["eventType"]) for path, e in _Collector.received] == [
        ("/api/v1/lineage", "START"),
        ("/api/v1/lineage", "COMPLETE"),
    ]
    assert not (settings.openlineage_dir / EVENTS_FILE).exists()


def test_an_unreachable_endpoint_never_fails_the_step(settings):
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    port = server.server_port
    server.server_close()  # nothing listens there any more
    with Emitter(replace(settings, openlineage_url=f"http://127.0.0.1:{port}")).run("x", [], ["y"]):
        pass


def test_dbt_run_results_become_one_run_per_model_at_dbts_times(settings):
    from lineage.graph import LineageGraph
    from lineage.openlineage import emit_dbt_results

    def model(name, deps):
        return {
            "resource_type": "model",
            "schema": "marts",
            "alias": name,
            "name": name,
            "depends_on": {"nodes": deps},
        }

    manifest = {
        "nodes": {"model.p.a": model("a", ["source.p.silver.audit"]), "model.p.b": model("b", ["model.p.a"])},
        "sources": {
            "source.p.silver.audit": {
                "resource_type": "source",
                "source_name": "silver",
                "identifier": "audit",
                "meta": {},
            }
        },
    }
    timing = [
        {"name": "execute", "started_at": "2026-11-01T10:00:00Z", "completed_at": "2026-11-01T10:00:05Z"}
    ]
    results = {
        "results": [
            {"unique_id": "model.p.a", "status": "success", "timing": timing},
            {"unique_id": "model.p.b", "status": "error", "timing": timing, "message": "Binder Error"},
        ]
    }
    graph = LineageGraph([Edge("silver.audit", "tenant_id", "marts.a", "tenant_id", "identity", "model.p.a")])
    assert emit_dbt_results(Emitter(settings), results, manifest, graph) == 2
    events = [(e["job"]["name"], e["eventType"], e["eventTime"][:19]) for e in _events(settings)]
    assert events == [
        ("dbt.marts.a", "START", "2026-11-01T10:00:00"),
        ("dbt.marts.a", "COMPLETE", "2026-11-01T10:00:05"),
        ("dbt.marts.b", "START", "2026-11-01T10:00:00"),
        ("dbt.marts.b", "FAIL", "2026-11-01T10:00:05"),
    ]
    complete = _events(settings)[1]
    assert [d["name"] for d in complete["inputs"]] == ["silver.audit"]
    assert list(complete["outputs"][0]["facets"]["columnLineage"]["fields"]) == ["tenant_id"]
