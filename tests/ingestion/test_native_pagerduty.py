"""PagerDuty v3 webhook payloads, from PagerDuty's documented example, through `opslake ingest pagerduty`."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from ingestion.native.ingest import ingest_native
from tests.fixtures.cli import opslake
from tests.fixtures.lake_tables import read_bronze, read_quarantine

FIXTURES = Path(__file__).parents[1] / "fixtures" / "native"
SEEDS = Path(__file__).parents[2] / "transforms" / "seeds" / "sources"
DOCUMENTED = json.loads((FIXTURES / "pagerduty_incident_triggered.json").read_text())


def _seed(name: str) -> list[dict]:
    with open(SEEDS / f"{name}.csv", newline="") as f:
        return list(csv.DictReader(f))


# A PagerDuty service the reviewed seed maps to our service `billing-api`, shared by tenants.
BILLING = next(
    r for r in _seed("source_tenants") if r["source"] == "pagerduty" and r["service"] == "billing-api"
)


def event(
    kind: str,
    event_id: str,
    at: str,
    status: str,
    service: str = BILLING["source_key"],
    priority: str | None = "P1",
    **fields: str,
) -> dict:
    """The documented example turned into another event of the same incident."""
    payload = copy.deepcopy(DOCUMENTED)
    e = payload["event"]
    e.update(id=event_id, event_type=kind, occurred_at=at)
    e["data"].update(status=status)
    e["data"]["service"]["id"] = service
    e["data"]["priority"] = {"summary": priority} if priority else None
    e["data"]["custom_fields"] = [{"name": k, "value": v} for k, v in fields.items()]
    return payload


def _write(path: Path, payloads: list[dict]) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    return path


LIFECYCLE = [
    event("incident.triggered", "ev-1", "2026-11-02T10:00:00Z", "triggered", tenant_id="t-acme"),
    event("incident.acknowledged", "ev-2", "2026-11-02T10:04:00Z", "acknowledged", tenant_id="t-acme"),
    event(
        "incident.priority_updated", "ev-3", "2026-11-02T10:05:00Z", "acknowledged", priority="P2",
        tenant_id="t-acme", caused_by_deployment_id="dep-000731",
    ),
    event("incident.resolved", "ev-4", "2026-11-02T10:40:00Z", "resolved", tenant_id="t-acme"),
]  # fmt: skip


def test_an_incident_s_lifecycle_becomes_incident_events(settings, tmp_path):
    report = ingest_native(settings, "pagerduty", [_write(tmp_path / "pd.jsonl", LIFECYCLE)])
    assert (report.read, report.accepted, report.quarantined) == (4, 4, 0)
    rows = sorted(read_bronze(settings, "incident").to_pylist(), key=lambda r: r["occurred_at"])
    severity = {r["pagerduty_value"]: r["severity"] for r in _seed("pagerduty_severities")}
    assert [(r["event_id"], r["status"], r["severity"]) for r in rows] == [
        ("pagerduty:ev-1", "triggered", severity["P1"]),
        ("pagerduty:ev-2", "acknowledged", severity["P1"]),
        ("pagerduty:ev-3", "acknowledged", severity["P2"]),
        ("pagerduty:ev-4", "resolved", severity["P1"]),
    ]
    assert {(r["tenant_id"], r["incident_id"], r["service"], r["source"]) for r in rows} == {
        ("t-acme", "PGR0VU2", "billing-api", "pagerduty")
    }
    assert rows[0]["occurred_at"] == dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    assert rows[0]["title"] == "A little bump in the road"
    assert [r["responder_id"] for r in rows] == [None, "PLH1HKV", "PLH1HKV", "PLH1HKV"]
    assert [r["caused_by_deployment_id"] for r in rows] == [None, None, "dep-000731", None]


def test_redeliveries_bare_or_wrapped_are_duplicates(settings, tmp_path):
    first = _write(tmp_path / "a.jsonl", LIFECYCLE)
    ingest_native(settings, "pagerduty", [first])
    wrapped = [{"event": None, "delivery": f"w-{i}", "payload": p} for i, p in enumerate(LIFECYCLE)]
    again = ingest_native(settings, "pagerduty", [first, _write(tmp_path / "b.jsonl", wrapped)])
    assert (again.read, again.accepted, again.duplicates, again.quarantined) == (8, 0, 8, 0)
    assert read_bronze(settings, "incident").num_rows == 4


def test_every_payload_is_accepted_quarantined_with_a_reason_or_counted_as_ignored(settings, tmp_path):
    documented = DOCUMENTED  # its service PF9KMXH is in no seed row
    unmapped_tenant = event("incident.triggered", "ev-5", "2026-11-02T10:00:00Z", "triggered")
    unknown_priority = event(
        "incident.triggered", "ev-6", "2026-11-02T10:00:00Z", "triggered", priority="P9", tenant_id="t-acme"
    )
    annotated = event("incident.annotated", "ev-7", "2026-11-02T10:00:00Z", "triggered")
    ping = {
        "event": {"id": "ev-8", "event_type": "pagey.ping", "occurred_at": "2026-11-02T10:00:00Z", "data": {}}
    }
    no_event = {"messages": []}
    no_time = event("incident.triggered", "ev-9", "", "triggered", tenant_id="t-acme")
    path = _write(
        tmp_path / "mixed.jsonl",
        [documented, unmapped_tenant, unknown_priority, annotated, ping, no_event, no_time],
    )
    with open(path, "a") as f:
        f.write('{"event": {"id": \n')  # a truncated line
    report = ingest_native(settings, "pagerduty", [path])
    assert report.as_dict() | {"skipped": {}} == {
        "read": 8,
        "accepted": 0,
        "duplicates": 0,
        "quarantined": 6,
        "reasons": {
            "unmapped_source:pagerduty:service:PF9KMXH": 1,
            f"unmapped_tenant:pagerduty:service:{BILLING['source_key']}": 1,
            "not_in_seed:pagerduty_severities:P9": 1,
            "not_a_payload:pagerduty:no event object": 1,
            "missing_field:occurred_at": 1,
            "invalid_json": 1,
        },
        "ignored": {"ignored:incident.annotated": 1, "ignored:pagey.ping": 1},
        "skipped": {},
    }
    kept = read_quarantine(settings).to_pylist()
    assert {r["domain"] for r in kept} == {"incident"}
    documented_row = next(r for r in kept if r["reason"].startswith("unmapped_source"))
    assert (
        json.loads(documented_row["raw"]) == DOCUMENTED
    )  # the payload as it came, to map once the seed has it


def test_the_command_prints_the_accounting(settings, tmp_path):
    path = _write(
        tmp_path / "pd.jsonl", [*LIFECYCLE, event("incident.annotated", "ev-7", "2026-11-02T10:00:00Z", "x")]
    )
    result = opslake(settings, "ingest", "pagerduty", str(path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["read"], report["accepted"], report["ignored"]) == (
        5,
        4,
        {"ignored:incident.annotated": 1},
    )
    unknown = opslake(settings, "ingest", "opsgenie", str(path))
    assert unknown.returncode == 2
    assert "pagerduty" in unknown.stderr and "Traceback" not in unknown.stderr


@pytest.mark.parametrize("kind", ["incident.reopened", "incident.unacknowledged"])
def test_reopening_puts_the_incident_back_to_triggered(settings, tmp_path, kind):
    payload = event(kind, "ev-r", "2026-11-03T09:00:00Z", "triggered", tenant_id="t-acme")
    ingest_native(settings, "pagerduty", [_write(tmp_path / "r.jsonl", [payload])])
    (row,) = read_bronze(settings, "incident").to_pylist()
    assert row["status"] == "triggered" and row["responder_id"] is None


def test_the_receiver_s_closed_segments_are_ingested_with_the_incidents(settings):
    from ingestion.landing import ingest_landing, pending_files

    folder = settings.landing_dir("pagerduty")
    folder.mkdir(parents=True)
    wrapped = [{"event": None, "delivery": f"w-{i}", "payload": p} for i, p in enumerate(LIFECYCLE)]
    segment = _write(folder / "webhooks-20261102T100000-1.jsonl", wrapped)
    _write(folder / "webhooks-20261102T100500-1.jsonl.tmp", wrapped[:1])  # still open: not ready
    assert pending_files(settings, "incident") == [segment]
    report = ingest_landing(settings, "incident")
    assert (report.read, report.accepted) == (4, 4)
    assert not segment.exists() and len(list((settings.archive / "pagerduty").iterdir())) == 1
