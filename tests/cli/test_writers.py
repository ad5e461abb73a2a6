"""Writers of the lake exclude each other, in real processes: an erasure started while `opslake run` builds waits for
the run and then leaves nothing of the subject anywhere, the next publication included; a second run waits, then
refuses with a sentence; every writer command refuses while another writer holds the lake; and `opslake run`
applies retention between ingestion and silver."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
from dataclasses import dataclass

import duckdb
import pyarrow.compute as pc
import pytest

from demo import generate
from opslake import lake
from opslake.publication import NotPublished, current
from opslake.settings import Settings
from privacy.pseudonyms import installation_secret, pseudonym
from tests.conftest import home_with_manifest
from tests.fixtures.cli import lake_held_by, opslake, start_opslake
from tests.fixtures.records import audit, write_jsonl
from tests.fixtures.scan import files_holding, tables_holding

EMAIL, NAME, USER = "jane.erasure@acme.example", "Jane Erasure", "u-erasure-1"
WHERE_DATA_LIVES = ("lake", "warehouse.duckdb", "published", "landing", "archive")
# The erasure's own records keep the receipt's pseudonymous subject key, by design (proof of the erasure).
ERASURE_RECORDS = (
    "lake/governance/erasure_log/",
    "lake/governance/privileged_operations/",
    "warehouse.duckdb",
)
EXPIRED_AGES = (120, 120, 200)  # days before today of usage events past usage's 90 days: 3 rows, 2 partitions


@dataclass(frozen=True)
class Finished:
    pid: int
    returncode: int
    stdout: str
    stderr: str

    @property
    def said(self) -> str:
        """stderr with Rich's line wrapping undone."""
        return " ".join(self.stderr.split())


@dataclass(frozen=True)
class Contended:
    """What happened when an erasure and two more runs were started while a first `opslake run` was building."""

    settings: Settings
    subject_found_before: list[str]
    status_while_running: dict
    first_run: Finished
    refused_at_once: Finished
    refused_after_waiting: Finished
    erasure: Finished
    published_after_erasure: bool
    subject_left_after_erasure: list[str]
    subject_key_after_erasure: list[str]
    next_run: Finished
    expired_event_ids: list[str]


def _subject_events(today: dt.date) -> list[dict]:
    jane = {"actor_id": USER, "actor_email": EMAIL, "actor_name": NAME, "tenant_id": "t-aperture"}
    at = f"{today - dt.timedelta(days=1)}T10:0"
    return [
        audit(1, event_id="jane-1", occurred_at=f"{at}1:00Z", **jane, message=f"{NAME} exported 1,204 rows"),
        audit(2, event_id="jane-2", occurred_at=f"{at}2:00Z", **jane, action="data.export"),
        audit(3, event_id="jane-3", occurred_at=f"{at}3:00Z", **jane, action="user.role.grant", role="admin"),
    ]


def _expired_usage(today: dt.date) -> list[dict]:
    base = {
        "tenant_id": "t-aperture",
        "user_id": "u-1012",
        "service": "reporting",
        "feature": "dashboards.view",
    }
    return [
        {
            **base,
            "event_id": f"use-expired-{i}",
            "occurred_at": f"{today - dt.timedelta(days=age)}T08:0{i}:00Z",
            "requests": 3,
            "errors": 0,
        }
        for i, age in enumerate(EXPIRED_AGES)
    ]


def _status(settings: Settings) -> dict:
    return json.loads(opslake(settings, "status", "--json", check=True).stdout)


def _finish(process: subprocess.Popen[str], timeout: float) -> Finished:
    stdout, stderr = process.communicate(timeout=timeout)
    return Finished(process.pid, process.returncode, stdout, stderr)


def _done(completed: subprocess.CompletedProcess[str]) -> Finished:
    return Finished(0, completed.returncode, completed.stdout, completed.stderr)


@pytest.fixture(scope="module")
def contended(tmp_path_factory, parsed_dbt) -> Contended:
    settings = home_with_manifest(tmp_path_factory.mktemp("writers") / "home", parsed_dbt)
    today = dt.datetime.now(dt.UTC).date()
    generate(settings.landing, days=5, tenants=2, events=3000, seed=3, end=today)
    write_jsonl(settings.landing_dir("audit") / "jane.jsonl", _subject_events(today))
    write_jsonl(settings.landing_dir("usage") / "expired.jsonl", _expired_usage(today))
    found_before = files_holding(settings.home, [EMAIL, NAME, USER], WHERE_DATA_LIVES)

    first = start_opslake(settings, "run")
    deadline = time.monotonic() + 600
    while not (running := _status(settings))["run_in_progress"]:
        assert first.poll() is None, f"the run ended before it was seen running: {first.communicate()}"
        assert time.monotonic() < deadline, "the run was never seen in progress"
        time.sleep(0.5)
    erasure = start_opslake(settings, "erase", "--subject", EMAIL, "--json")
    at_once = _done(opslake(settings, "run", "--wait", "0"))
    after_waiting = _done(opslake(settings, "run", "--wait", "1"))
    assert first.poll() is None, "the first run finished too early for the test to mean anything"
    first_run = _finish(first, timeout=1800)
    erased = _finish(erasure, timeout=600)
    try:
        current(settings)
        published = True
    except NotPublished:
        published = False
    left = files_holding(settings.home, _identities(settings), WHERE_DATA_LIVES)
    key_left = files_holding(settings.home, [_subject_key(settings)], WHERE_DATA_LIVES)
    next_run = _done(opslake(settings, "run"))
    return Contended(
        settings,
        found_before,
        running,
        first_run,
        at_once,
        after_waiting,
        erased,
        published,
        left,
        key_left,
        next_run,
        [r["event_id"] for r in _expired_usage(today)],
    )


def _identities(settings: Settings) -> list[str]:
    """The subject's identities and the pseudonyms silver, the warehouse and the marts held them as; the subject
    key of the receipt (the pseudonym of the value given) aside."""
    secret = installation_secret(settings.secret_path)
    return [EMAIL, NAME, USER, *(pseudonym(secret, v) for v in (NAME, USER))]


def _subject_key(settings: Settings) -> str:
    return pseudonym(installation_secret(settings.secret_path), EMAIL)


def test_an_erasure_started_during_a_run_waits_for_it_and_nothing_of_the_subject_is_left(contended):
    settings, run, erasure = contended.settings, contended.first_run, contended.erasure
    assert contended.subject_found_before  # the scan sees the subject where it is
    assert run.returncode == 0, run.stderr[-3000:]
    assert erasure.returncode == 0, erasure.stderr[-3000:]
    assert "waiting for the run started at " in erasure.said
    assert f" by pid {run.pid} to finish (at most 60 min); Ctrl-C to stop" in erasure.said
    receipt = json.loads(erasure.stdout)
    deleted = {t["table"]: t["rows_deleted"] for t in receipt["tables"]}
    assert deleted["bronze/audit"] == 3 and deleted["silver/audit"] == 3  # it ran after the run built silver
    rewritten = receipt["files_rewritten"]
    assert "warehouse.duckdb" in rewritten  # ... and the warehouse
    assert any(f.startswith("published/warehouse-") for f in rewritten)  # ... and published it: withdrawn
    assert not contended.published_after_erasure
    assert contended.subject_left_after_erasure == []
    assert receipt["subject_key"] == _subject_key(settings)  # silver held the email as this pseudonym
    assert contended.subject_key_after_erasure
    assert all(path.startswith(ERASURE_RECORDS) for path in contended.subject_key_after_erasure)

    assert contended.next_run.returncode == 0, contended.next_run.stderr[-3000:]
    published = current(settings)  # the next run published the erased lake
    identities, key = _identities(settings), _subject_key(settings)
    assert files_holding(settings.home, identities, WHERE_DATA_LIVES) == []
    assert all(p.startswith(ERASURE_RECORDS) for p in files_holding(settings.home, [key], WHERE_DATA_LIVES))
    assert tables_holding(settings.warehouse, identities) == []
    assert tables_holding(settings.warehouse, [key]) == ["governance.erasure_log"]  # the erasure's record
    assert tables_holding(published.path, [*identities, key]) == []
    audit_rows = lake.read_table(settings.table_uri("bronze", "audit"), ["event_id", "actor_email"])
    assert not pc.any(pc.starts_with(audit_rows["event_id"], "jane-")).as_py()
    other = pc.min(audit_rows["actor_email"]).as_py()  # everyone else is still there, and the scans see them
    assert tables_holding(settings.warehouse, [pseudonym(installation_secret(settings.secret_path), other)])
    assert tables_holding(published.path, ["t-aperture"])


def test_a_second_run_waits_for_the_one_in_progress_then_refuses_with_a_sentence(contended):
    run = contended.first_run
    assert contended.status_while_running["writer"]["operation"] == "run"
    assert contended.status_while_running["writer"]["pid"] == run.pid
    holder = (
        f"the run started at {contended.status_while_running['writer']['started_at'][:19].replace('T', ' ')}"
    )
    holder += f" UTC by pid {run.pid}"

    at_once, waited = contended.refused_at_once, contended.refused_after_waiting
    assert (at_once.returncode, waited.returncode) == (75, 75)
    assert "waiting for" not in at_once.said
    assert (
        f"error: the lake is busy: {holder} is still writing it after 0 s; nothing was changed"
        in at_once.said
    )
    assert f"waiting for {holder} to finish (at most 1 s); Ctrl-C to stop" in waited.said
    assert (
        f"error: the lake is busy: {holder} is still writing it after 1 s; nothing was changed" in waited.said
    )
    for refused in (at_once, waited):
        assert "next: run this again once it has finished (`opslake status` shows it)" in refused.said
        assert "Traceback" not in refused.stderr


def test_opslake_run_applies_retention_after_ingestion_and_before_silver(contended):
    settings = contended.settings
    assert "retention: removed 3 rows (2 partitions) from bronze/usage" in contended.first_run.said
    assert "retention: nothing is past its retention period" in contended.next_run.said  # nothing more
    expired = contended.expired_event_ids
    for layer in ("bronze", "silver"):
        ids = set(lake.read_table(settings.table_uri(layer, "usage"), ["event_id"])["event_id"].to_pylist())
        assert ids and not ids & set(expired), layer
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        query = "select count(*), count_if(list_contains(?, event_id)) from silver.usage"
        rows, left = con.execute(query, [expired]).fetchone()
    assert rows > 0 and left == 0


def test_every_writer_command_refuses_while_another_writer_holds_the_lake(settings, tmp_path):
    new = write_jsonl(settings.landing_dir("audit") / "new.jsonl", [audit(1), audit(2)])
    commands = [
        ["run"],
        ["erase", "--subject", "someone@acme.example"],
        ["retention"],
        ["ingest", "audit", str(new)],
    ]
    with lake_held_by(settings, "erasure") as holder:
        erasure = lake.current_writer(settings)
        refusals = [opslake(settings, *command, "--wait", "0") for command in commands]
        status = _status(settings)
        shown = opslake(settings, "status")
        dry = opslake(settings, "retention", "--dry-run", "--json")  # a reader: it does not wait
    for command, refused in zip(commands, refusals, strict=True):
        said = " ".join(refused.stderr.split())
        assert refused.returncode == 75, (command, refused.stderr)
        assert f"the lake is busy: {erasure} is still writing it after 0 s; nothing was changed" in said
        assert "Traceback" not in refused.stderr
    assert (erasure.operation, erasure.pid) == ("erasure", holder.pid)
    assert not (settings.home / "lake").exists() and new.exists()  # nothing ingested, nothing archived
    assert status["run_in_progress"] is False and status["writer"] == erasure.as_dict()
    assert f"{erasure} is writing the lake" in " ".join(shown.stderr.split())
    assert dry.returncode == 0 and json.loads(dry.stdout)["tables"] == []
    assert _status(settings)["writer"] is None
