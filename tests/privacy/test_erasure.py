"""Erasure: afterwards no byte of any file under OPSLAKE_HOME holds the subject, in any form, and the lake works."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pyarrow.compute as pc
import pytest
from deltalake import DeltaTable

from ingestion.landing import ingest_landing
from opslake.publication import NotPublished, current, publish
from opslake.warehouse import LOADS
from privacy.erasure import erase_subject
from privacy.presidio import column_detector, text_masker
from privacy.silver import build_silver
from tests.fixtures.records import audit, write_jsonl
from tests.fixtures.scan import files_holding

EMAIL, NAME, USER = "jane.doe@acme.example", "Jane Doe", "u-1042"
OTHER = "raj.patel@globex.example"


def _pseudonym(settings, value: str) -> str:
    return hmac.new(settings.secret_path.read_bytes(), value.encode(), hashlib.sha256).hexdigest()[:24]


def _lake_with_subject(settings):
    jane = {"actor_id": USER, "actor_email": EMAIL, "actor_name": NAME}
    landed = [
        audit(1, **jane, message=f"{NAME} exported 1,204 rows"),
        audit(2, **jane, action="data.export"),
        audit(3, actor_id="u-7", actor_email=OTHER, message=f"Granted access on behalf of {EMAIL}"),
        audit(4, actor_id="u-7", actor_email=OTHER),
        f'{{"event_id": "bad", "actor_email": "{EMAIL}"',  # quarantined with its raw text
    ]
    write_jsonl(settings.landing_dir("audit") / "a.jsonl", landed)
    write_jsonl(settings.landing_dir("audit") / "b.jsonl.gz", [audit(5, actor_id=USER)])
    write_jsonl(settings.landing_dir("audit") / "waiting.jsonl", [audit(6, actor_id=USER, actor_email=EMAIL)])
    ingest_landing(settings, "audit")
    write_jsonl(
        settings.landing_dir("audit") / "waiting.jsonl", [audit(6, actor_id=USER, actor_email=EMAIL)]
    )  # not ingested yet
    build_silver(settings, "audit", column_detector(), text_masker())
    with duckdb.connect(str(settings.warehouse)) as con:  # stands in for the dbt warehouse
        con.execute("create table people as select ? as email, ? as name", [EMAIL, NAME])
        con.execute("create schema marts")
        con.execute("create table marts.people as select ? as email, ? as name", [EMAIL, NAME])
        con.execute(f"create table {LOADS} (table_name varchar, version bigint)")
    publish(settings, "before-erasure")  # what readers saw holds the subject too


def test_erasure_leaves_no_byte_of_the_subject_and_keeps_everyone_else(settings):
    _lake_with_subject(settings)
    assert files_holding(settings.home, [EMAIL, NAME, USER])  # the scan finds the subject before erasure
    receipt = erase_subject(settings, EMAIL)
    assert files_holding(settings.home, [EMAIL, NAME, USER]) == []
    assert receipt.identities == 3  # the email, the name and the user id that appeared with it
    with pytest.raises(NotPublished):  # withdrawn: the next run publishes the erased lake
        current(settings)
    bronze = DeltaTable(settings.table_uri("bronze", "audit")).to_pyarrow_table().to_pylist()
    assert sorted(r["event_id"] for r in bronze) == ["aud-3", "aud-4"]  # rows of the subject are gone
    assert (
        next(r for r in bronze if r["event_id"] == "aud-3")["message"]
        == "Granted access on behalf of <ERASED>"
    )
    assert {r["actor_email"] for r in bronze} == {OTHER}
    silver = DeltaTable(settings.table_uri("silver", "audit")).to_pyarrow_table()
    assert sorted(silver["event_id"].to_pylist()) == ["aud-3", "aud-4"]
    mention = silver.filter(pc.equal(silver["event_id"], "aud-3"))["message"][0].as_py()
    assert mention == "Granted access on behalf of <EMAIL_ADDRESS>"  # no longer attributed to her pseudonym
    held = files_holding(settings.home, [_pseudonym(settings, v) for v in (EMAIL, NAME, USER)])
    records = ("lake/governance/erasure_log/", "lake/governance/privileged_operations/")
    assert [f for f in held if not f.startswith(records)] == []  # the receipts key it by her pseudonym
    log = DeltaTable(settings.table_uri("governance", "erasure_log")).to_pyarrow_table().to_pylist()
    assert [r["subject_key"] for r in log] == [receipt.subject_key]
    assert log[0]["rows_deleted"] == receipt.as_dict()["rows_deleted"] > 0


def test_the_pipeline_still_runs_after_erasure(settings, tmp_path):
    _lake_with_subject(settings)
    erase_subject(settings, USER)
    write_jsonl(settings.landing_dir("audit") / "c.jsonl", [audit(10), audit(11)])
    report = ingest_landing(settings, "audit")
    assert report.accepted == 3  # the waiting file (its subject erased) and the two new events
    assert build_silver(settings, "audit", column_detector(), text_masker()).rows == 3
    assert DeltaTable(settings.table_uri("bronze", "audit")).history()  # still a readable Delta table
