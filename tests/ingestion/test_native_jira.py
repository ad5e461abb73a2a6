"""Jira Cloud webhooks and REST changelogs, from Atlassian's documented shapes, through `opslake ingest jira`."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

from demo import generate
from demo.native.jira import JiraSite
from ingestion.native import jira
from ingestion.native.ingest import ingest_native
from ingestion.native.outcomes import Delivery
from tests.fixtures.cli import opslake
from tests.fixtures.lake_tables import read_bronze, read_quarantine

FIXTURES = Path(__file__).parents[1] / "fixtures" / "native" / "jira"


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


DOCUMENTED_UPDATE = _fixture("webhook_issue_updated_documented")  # summary and issue type changed
DOCUMENTED_PAGE = _fixture("changelog_page_documented")  # label changes, no issue
REST_ISSUE = _fixture("rest_issue_expand_changelog")  # PAY-17 with four histories, three moving the status
STATUS_WEBHOOK = _fixture("webhook_issue_updated_status")  # PAY-17's last change, history 10205

# Read by hand from the fixtures: the issue's facts, then each status it entered (times in UTC: Jira wrote +0200).
PAY_17 = {
    "tenant_id": "t-platform",  # seed source_tenants, project PAY
    "art": "Payments ART",  # the project's
    "team": "Team Falcon",  # customfield_10001
    "pi": "PI-2026.3",  # fixVersions[0]
    "iteration": "PAY Sprint 6",  # the last sprint of customfield_10020
    "work_item_id": "PAY-17",
    "work_item_type": "story",
    "parent_id": "PAY-12",
    "title": "Export invoices as CSV",
    "story_points": 5.0,
}
MOVES = [
    ("jira:created:10042", dt.datetime(2026, 9, 10, 7, 12, 44, 512000, dt.UTC), None, "backlog"),
    ("jira:changelog:10201", dt.datetime(2026, 9, 10, 9, 2, 10, 1000, dt.UTC), "backlog", "in_progress"),
    ("jira:changelog:10203", dt.datetime(2026, 9, 12, 14, 40, 0, 250000, dt.UTC), "in_progress", "in_review"),
    ("jira:changelog:10205", dt.datetime(2026, 9, 14, 8, 15, 2, 123000, dt.UTC), "in_review", "done"),
]


def webhook(kind: str = jira.UPDATED, **fields: object) -> dict:
    """The status webhook turned into another event: ``fields`` replace the issue's fields (``None`` removes)."""
    payload = copy.deepcopy(STATUS_WEBHOOK)
    payload["webhookEvent"] = kind
    for name, value in fields.items():
        payload["issue"]["fields"][name] = value
    if kind != jira.UPDATED:
        del payload["changelog"]
    return payload


def with_status_change(payload: dict, source: str, target: str) -> dict:
    payload = copy.deepcopy(payload)
    (status,) = [i for i in payload["changelog"]["items"] if i["field"] == "status"]
    status.update(fromString=source, toString=target)
    return payload


def _write(path: Path, payloads: list[dict]) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in payloads))
    return path


def _facts(row: dict) -> tuple:
    return row["event_id"], row["occurred_at"], row.get("from_state"), row["to_state"]


def _order(row: tuple) -> tuple:
    """Key and time first; the rest, some of it None, compared as text."""
    return row[0], row[1], str(row[2:])


def _rows(settings) -> list[dict]:
    return sorted(read_bronze(settings, "delivery").to_pylist(), key=lambda r: r["occurred_at"])


def test_a_rest_issue_gives_its_creation_and_one_record_per_status_change(settings, tmp_path):
    report = ingest_native(settings, "jira", [_write(tmp_path / "rest.jsonl", [REST_ISSUE])])
    assert (report.read, report.accepted, report.quarantined, sum(report.ignored.values())) == (4, 4, 0, 0)
    rows = _rows(settings)
    assert [_facts(r) for r in rows] == MOVES
    for row in rows:
        assert {k: row[k] for k in PAY_17} == PAY_17
        assert row["record_type"] == "work_item"


def test_a_status_webhook_gives_the_change_it_carries(settings, tmp_path):
    ingest_native(settings, "jira", [_write(tmp_path / "hook.jsonl", [STATUS_WEBHOOK])])
    (row,) = _rows(settings)
    assert _facts(row) == MOVES[-1]
    assert {k: row[k] for k in PAY_17} == PAY_17


def test_a_change_seen_by_webhook_and_by_rest_is_one_event(settings, tmp_path):
    created = webhook(jira.CREATED, status={"name": "Backlog"})  # PAY-17 as created
    hooks = _write(tmp_path / "hooks.jsonl", [created, STATUS_WEBHOOK])
    wrapped = [{"event": None, "delivery": "7d1f0e2c", "payload": STATUS_WEBHOOK}]  # the receiver's wrapper
    again = _write(tmp_path / "again.jsonl", wrapped)
    first = ingest_native(settings, "jira", [hooks])
    assert (first.read, first.accepted) == (2, 2)
    report = ingest_native(settings, "jira", [_write(tmp_path / "rest.jsonl", [REST_ISSUE]), again])
    assert (report.read, report.accepted, report.duplicates, report.quarantined) == (5, 2, 3, 0)
    assert [_facts(r) for r in _rows(settings)] == MOVES


def test_one_change_moving_the_status_twice_gives_a_record_per_move():
    payload = copy.deepcopy(STATUS_WEBHOOK)
    review, done = payload["changelog"]["items"][1], payload["changelog"]["items"][1] | {}
    review.update(fromString="In Progress", toString="In Review")
    done.update(fromString="In Review", toString="Done")
    payload["changelog"]["items"].append(done)
    records = [o.record for o in jira.adapt(Delivery.of(payload))]
    assert [(r["event_id"], r["from_state"], r["to_state"]) for r in records] == [
        ("jira:changelog:10205:0", "in_progress", "in_review"),
        ("jira:changelog:10205:1", "in_review", "done"),
    ]


def test_without_jira_s_time_of_the_change_the_webhook_s_timestamp_counts():
    (outcome,) = jira.adapt(Delivery.of(webhook(updated=None)))
    assert outcome.record["occurred_at"] == "2026-09-14T08:15:02.464Z"  # timestamp 1789373702464 (epoch ms)


def test_every_payload_is_accepted_quarantined_with_a_reason_or_counted_as_ignored(settings, tmp_path):
    page_of_pay_17 = DOCUMENTED_PAGE | {"issue": {k: v for k, v in REST_ISSUE.items() if k != "changelog"}}
    sub_task = webhook(issuetype={"name": "Sub-task", "subtask": True})
    uat = with_status_change(STATUS_WEBHOOK, "In Review", "UAT")
    elsewhere = webhook(project={"key": "ED", "name": "Edison"})
    pay_18 = copy.deepcopy(REST_ISSUE) | {"id": "10043", "key": "PAY-18"}
    for history in pay_18["changelog"]["histories"]:
        history["id"] = f"2{history['id']}"
        for item in history["items"]:
            if item["field"] == "status" and item["toString"] == "In Review":
                item["toString"] = "UAT"  # the change into UAT is quarantined, the other three are kept
    others = [
        {"webhookEvent": kind, "timestamp": 1789373702464}
        for kind in ("jira:issue_deleted", "comment_created", "sprint_started", "worklog_updated")
    ]
    path = _write(
        tmp_path / "mixed.jsonl",
        [DOCUMENTED_UPDATE, DOCUMENTED_PAGE, page_of_pay_17, sub_task, uat, elsewhere, pay_18, *others, {}],
    )
    with open(path, "a") as f:
        f.write('{"webhookEvent": "jira:iss\n')  # a truncated line
    report = ingest_native(settings, "jira", [path])
    assert report.as_dict() | {"skipped": {}} == {
        "read": 16,
        "accepted": 4,
        "duplicates": 0,
        "quarantined": 7,
        "reasons": {
            "invalid_json": 1,
            "not_a_payload:jira:changelog page without its issue": 1,
            "not_a_payload:jira:no webhookEvent, issue or changelog page": 1,
            "not_in_seed:jira_issue_types:Sub-task": 1,
            "not_in_seed:jira_statuses:UAT": 2,
            "unmapped_source:jira:project:ED": 1,
        },
        "ignored": {
            "ignored:comment_created": 1,
            "ignored:jira:issue_deleted": 1,
            "ignored:jira:issue_updated.no_status_change": 1,
            "ignored:sprint_started": 1,
            "ignored:worklog_updated": 1,
        },
        "skipped": {},
    }
    assert report.read == report.accepted + report.duplicates + report.quarantined + sum(
        report.ignored.values()
    )
    kept = read_quarantine(settings).to_pylist()
    unmapped = next(r for r in kept if r["reason"].startswith("unmapped_source"))
    assert json.loads(unmapped["raw"]) == elsewhere  # the payload as it came, to map once the seed has it
    # PAY-18's quarantined change keeps the whole REST payload; its other records are stored.
    assert {(r["work_item_id"], r["to_state"]) for r in _rows(settings)} == {
        ("PAY-17", "done"),  # the page's creation record: no status change, so the current status
        ("PAY-18", "backlog"),
        ("PAY-18", "in_progress"),
        ("PAY-18", "done"),
    }


def test_the_command_prints_the_accounting(settings, tmp_path):
    path = _write(tmp_path / "jira.jsonl", [REST_ISSUE, STATUS_WEBHOOK, DOCUMENTED_UPDATE])
    result = opslake(settings, "ingest", "jira", str(path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["read"], report["accepted"], report["duplicates"], report["ignored"]) == (
        6,
        4,
        1,
        {"ignored:jira:issue_updated.no_status_change": 1},
    )


def test_the_receiver_s_closed_segments_are_ingested_with_the_delivery_domain(settings):
    from ingestion.landing import ingest_landing, pending_files

    folder = settings.landing_dir("jira")
    folder.mkdir(parents=True)
    segment = _write(
        folder / "webhooks-20260914T081500-1.jsonl",
        [{"event": None, "delivery": "7d1f0e2c", "payload": STATUS_WEBHOOK}],
    )
    assert pending_files(settings, "delivery") == [segment]
    report = ingest_landing(settings, "delivery")
    assert (report.read, report.accepted) == (1, 1)


def test_the_demo_s_jira_webhooks_give_back_the_canonical_work_items(settings, tmp_path):
    out = tmp_path / "demo"
    generate(out, days=3, events=3000, end=dt.date(2026, 10, 31), now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    site, again, canonical, files = JiraSite(), JiraSite(), [], []
    for day in sorted((out / "delivery").glob("*.jsonl")):
        records = [json.loads(line) for line in day.read_text().splitlines()]
        canonical += [r for r in records if r["record_type"] == "work_item"]
        webhooks = site.webhooks(records)
        assert again.webhooks(records) == webhooks  # deterministic
        files.append(_write(tmp_path / day.name, webhooks))
    report = ingest_native(settings, "jira", files)
    assert (report.read, report.accepted) == (len(canonical), len(canonical)) and len(canonical) > 100
    keys = site.keys  # canonical id -> Jira key: the mapping the comparison is modulo
    assert len(set(keys.values())) == len(keys)
    expected = sorted(
        (
            (
                keys[r["work_item_id"]],
                dt.datetime.fromisoformat(r["occurred_at"]),
                r["tenant_id"],
                r["work_item_type"],
                r["art"],
                r["team"],
                r["pi"],
                r["iteration"],
                keys[r["parent_id"]] if r["parent_id"] else None,
                r["title"],
                r["from_state"],
                r["to_state"],
                None if r["story_points"] is None else float(r["story_points"]),
            )
            for r in canonical
        ),
        key=_order,
    )
    fields = ("tenant_id", "work_item_type", "art", "team", "pi", "iteration", "parent_id", "title")
    got = sorted(
        (
            (
                r["work_item_id"],
                r["occurred_at"],
                *(r[f] for f in fields),
                r["from_state"],
                r["to_state"],
                r["story_points"],
            )
            for r in read_bronze(settings, "delivery").to_pylist()
        ),
        key=_order,
    )
    assert got == expected
