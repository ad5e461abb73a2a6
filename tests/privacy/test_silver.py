"""Silver: every bronze column classified, personal data masked by policy, nothing unclassified downstream."""

from __future__ import annotations

import hashlib
import hmac
import json

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

from ingestion.pipeline import ingest
from privacy.catalog import catalog
from privacy.classify import LABELS, POLICIES
from privacy.presidio import column_detector, text_masker
from privacy.silver import build_silver
from tests.fixtures.records import audit, write_jsonl

EMAIL = "jane.doe@acme.example"
MESSAGE = "Jane Doe exported 1,204 rows; copy sent to jane.doe@acme.example from 203.0.113.24"


def _silver(settings) -> list[dict]:
    return DeltaTable(settings.table_uri("silver", "audit")).to_pyarrow_table().to_pylist()


def _expected_pseudonym(settings, value: str) -> str:
    key = settings.secret_path.read_bytes()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:24]


def test_silver_masks_identifiers_ips_and_free_text(settings, tmp_path):
    records = [
        audit(1, actor_email=EMAIL, actor_name="Jane Doe", message=MESSAGE, source_ip="203.0.113.24"),
        audit(
            2,
            actor_id="u-2",
            actor_email="raj.patel@globex.example",
            source_ip="2001:db8:85a3::8a2e:370:7348",
        ),
    ]
    ingest(settings, "audit", [write_jsonl(tmp_path / "a.jsonl", records)])
    report = build_silver(settings, "audit", column_detector(), text_masker())
    assert report.rows == 2
    rows = {r["event_id"]: r for r in _silver(settings)}
    first = rows["aud-1"]
    assert first["actor_email"] == _expected_pseudonym(settings, EMAIL)
    assert first["actor_id"] == _expected_pseudonym(settings, "u-1")
    assert first["actor_name"] == _expected_pseudonym(settings, "Jane Doe")
    assert first["source_ip"] == "203.0.113.0/24"
    assert rows["aud-2"]["source_ip"] == "2001:db8:85a3::/48"
    assert EMAIL not in first["message"] and "Jane Doe" not in first["message"]
    person, email = (_expected_pseudonym(settings, v) for v in ("Jane Doe", EMAIL))
    # known identities get their structured column's pseudonym, so the message joins to the actor
    assert first["message"] == (
        f"<PERSON:{person}> exported 1,204 rows; copy sent to <EMAIL_ADDRESS:{email}> from <IP_ADDRESS>"
    )
    assert first["tenant_id"] == "t-acme" and first["outcome"] == "success"  # kept as they are


def test_every_bronze_column_is_in_the_catalog_with_a_valid_class(settings, tmp_path):
    ingest(settings, "audit", [write_jsonl(tmp_path / "a.jsonl", [audit(1, message=MESSAGE)])])
    build_silver(settings, "audit", column_detector(), text_masker())
    bronze_columns = DeltaTable(settings.table_uri("bronze", "audit")).schema().to_arrow().names
    classes = catalog(settings, "audit")
    assert {c for _, c in classes} == set(bronze_columns)
    assert all(c.label in LABELS and c.policy in POLICIES for c in classes.values())
    assert classes[("audit", "message")].policy == "redact_text"
    assert classes[("audit", "actor_email")].policy == "pseudonymize"


def test_a_new_bronze_column_is_classified_before_it_reaches_silver(settings, tmp_path):
    ingest(settings, "audit", [write_jsonl(tmp_path / "a.jsonl", [audit(1)])])
    build_silver(settings, "audit", column_detector(), text_masker())
    bronze = DeltaTable(settings.table_uri("bronze", "audit")).to_pyarrow_table()
    drifted = bronze.slice(0, 1)
    drifted = drifted.set_column(0, "event_id", pa.array(["aud-drift"]))
    drifted = drifted.set_column(
        drifted.schema.get_field_index("_ingested_at"),
        "_ingested_at",
        pa.array([pa.scalar(bronze["_ingested_at"][0].as_py().replace(year=2099))]),
    )
    drifted = drifted.append_column("contact_email", pa.array([EMAIL]))
    drifted = drifted.append_column("card_number", pa.array(["4111 1111 1111 1111"]))
    write_deltalake(
        settings.table_uri("bronze", "audit"),
        drifted,
        mode="append",
        schema_mode="merge",
        partition_by=["event_date"],
    )
    report = build_silver(settings, "audit", column_detector(), text_masker())
    assert set(report.classified) == {"contact_email", "card_number"}
    classes = catalog(settings, "audit")
    assert classes[("audit", "contact_email")].policy == "pseudonymize"
    assert classes[("audit", "card_number")].policy == "drop"
    row = next(r for r in _silver(settings) if r["event_id"] == "aud-drift")
    assert row["contact_email"] == _expected_pseudonym(settings, EMAIL)
    assert "card_number" not in row or row["card_number"] is None  # dropped: never copied to silver


def test_rerunning_silver_with_nothing_new_adds_nothing(settings, tmp_path):
    ingest(settings, "audit", [write_jsonl(tmp_path / "a.jsonl", [audit(1), audit(2)])])
    assert build_silver(settings, "audit", column_detector(), text_masker()).rows == 2
    assert build_silver(settings, "audit", column_detector(), text_masker()).rows == 0
    ingest(settings, "audit", [write_jsonl(tmp_path / "b.jsonl", [audit(3)])])
    assert build_silver(settings, "audit", column_detector(), text_masker()).rows == 1
    assert sorted(r["event_id"] for r in _silver(settings)) == ["aud-1", "aud-2", "aud-3"]


def test_an_edited_declaration_applies_to_the_next_rows(settings, tmp_path, monkeypatch):
    from privacy import silver
    from privacy.classify import declarations

    ingest(settings, "audit", [write_jsonl(tmp_path / "a.jsonl", [audit(1, user_agent="curl/8.1")])])
    build_silver(settings, "audit", column_detector(), text_masker())
    edited = {**declarations(), "audit.user_agent": {"label": "confidential", "policy": "pseudonymize"}}
    monkeypatch.setattr(silver, "declarations", lambda: edited)
    ingest(settings, "audit", [write_jsonl(tmp_path / "b.jsonl", [audit(2, user_agent="curl/8.1")])])
    build_silver(settings, "audit", column_detector(), text_masker())
    assert catalog(settings, "audit")[("audit", "user_agent")].policy == "pseudonymize"
    agents = {r["event_id"]: r["user_agent"] for r in _silver(settings)}
    assert agents == {"aud-1": "curl/8.1", "aud-2": _expected_pseudonym(settings, "curl/8.1")}


def test_json_ids_and_times_are_kept_people_pseudonymised_and_text_masked(settings, tmp_path):
    commits = [
        {
            "sha": "c8216bdff879756a89cb6d9f8d1a76da6603a7c7",
            "committed_at": "2026-09-12T10:01:00Z",
            "author_id": "u-7",
        },
        {
            "sha": "1de470431d2cc8a1ba7550ab09320f80d18550c2",
            "committed_at": "2026-09-12T11:00:00Z",
            "author_id": "u-8",
            "note": "pair with Jane Doe",
        },
    ]
    head = {"occurred_at": "2026-09-14T08:00:00Z", "tenant_id": "t-platform", "art": "Payments ART"}
    records = [
        {**head, "event_id": "d-1", "record_type": "pull_request", "team": "Falcon", "pr_id": "export/pr-1687",
         "repository": "pay", "pr_action": "merged", "author_id": "u-7", "commits": commits},
        {**head, "event_id": "d-2", "record_type": "deployment", "team": "Falcon", "deployment_id": "dep-1",
         "service": "billing-api", "repository": "pay", "environment": "production",
         "deployment_status": "success", "started_at": "2026-09-14T07:50:00Z", "pr_ids": ["export/pr-1687"]},
    ]  # fmt: skip
    report = ingest(settings, "delivery", [write_jsonl(tmp_path / "d.jsonl", records)])
    assert report.accepted == 2, report.as_dict()
    build_silver(settings, "delivery", column_detector(), text_masker())
    rows = {
        r["event_id"]: r
        for r in DeltaTable(settings.table_uri("silver", "delivery")).to_pyarrow_table().to_pylist()
    }
    masked = json.loads(rows["d-1"]["commits"])
    assert [c["sha"] for c in masked] == [c["sha"] for c in commits]  # ids survive: lead times join on them
    assert [c["committed_at"] for c in masked] == [c["committed_at"] for c in commits]
    assert [c["author_id"] for c in masked] == [_expected_pseudonym(settings, u) for u in ("u-7", "u-8")]
    assert "Jane Doe" not in masked[1]["note"]
    assert json.loads(rows["d-2"]["pr_ids"]) == ["export/pr-1687"]


def test_a_changed_masking_rebuilds_silver_whole_from_bronze(settings, tmp_path, monkeypatch):
    import privacy.silver as silver

    ingest(settings, "audit", [write_jsonl(tmp_path / "a.jsonl", [audit(1), audit(2)])])
    first = build_silver(settings, "audit", column_detector(), text_masker())
    assert (first.rows, first.rebuilt) == (2, False)
    ingest(settings, "audit", [write_jsonl(tmp_path / "b.jsonl", [audit(3)])])
    assert build_silver(settings, "audit", column_detector(), text_masker()).rows == 1  # appended only

    edited = tmp_path / "classification.yml"  # a reviewed policy edit: the fingerprint moves
    edited.write_text(silver.POLICY_FILE.read_text() + "\n# reviewed again\n")
    before = silver.masking_fingerprint()
    monkeypatch.setattr(silver, "POLICY_FILE", edited)
    assert silver.masking_fingerprint() != before
    again = build_silver(settings, "audit", column_detector(), text_masker())
    assert (again.rows, again.rebuilt) == (3, True)  # every bronze row masked anew, none twice
    assert sorted(r["event_id"] for r in _silver(settings)) == ["aud-1", "aud-2", "aud-3"]
    assert build_silver(settings, "audit", column_detector(), text_masker()).rows == 0  # stamped: done


def test_older_text_naming_a_person_the_lake_learns_later_is_masked_again(settings, tmp_path):
    said = "Escalated to Kwabena Osei-Tutu after no answer; cc kwabena@acme.example"
    ingest(settings, "audit", [write_jsonl(tmp_path / "a.jsonl", [audit(1, message=said), audit(2)])])
    first = build_silver(settings, "audit", column_detector(), text_masker())
    assert (first.rows, first.remasked) == (2, 0)
    before = {r["event_id"]: r for r in _silver(settings)}

    newcomer = audit(3, actor_name="Kwabena Osei-Tutu", actor_email="kwabena@acme.example", actor_id="u-77")
    ingest(settings, "audit", [write_jsonl(tmp_path / "b.jsonl", [newcomer])])
    second = build_silver(settings, "audit", column_detector(), text_masker())
    assert (second.rows, second.remasked) == (1, 1)  # aud-1 only: aud-2 does not name him
    after = {r["event_id"]: r for r in _silver(settings)}
    person, email = (_expected_pseudonym(settings, v) for v in ("Kwabena Osei-Tutu", "kwabena@acme.example"))
    assert (
        after["aud-1"]["message"]
        == f"Escalated to <PERSON:{person}> after no answer; cc <EMAIL_ADDRESS:{email}>"
    )
    assert after["aud-1"]["message"] != before["aud-1"]["message"]
    assert after["aud-2"] == before["aud-2"]
    assert sorted(after) == ["aud-1", "aud-2", "aud-3"]  # updated in place, not appended
    assert build_silver(settings, "audit", column_detector(), text_masker()).remasked == 0  # stamped: done


def test_a_field_added_to_the_contract_after_rows_landed_is_null_in_silver(settings, tmp_path):
    ingest(settings, "audit", [write_jsonl(tmp_path / "a.jsonl", [audit(1)])])
    bronze = DeltaTable(settings.table_uri("bronze", "audit")).to_pyarrow_table()
    write_deltalake(  # bronze as an older contract wrote it: without the subscription fields
        settings.table_uri("bronze", "audit"),
        bronze.drop_columns(["plan", "monthly_quota_units"]),
        mode="overwrite",
        schema_mode="overwrite",
    )
    build_silver(settings, "audit", column_detector(), text_masker())
    (row,) = _silver(settings)
    assert (row["plan"], row["monthly_quota_units"]) == (None, None)
