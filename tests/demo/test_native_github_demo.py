"""The demo's delivery records as GitHub deliveries: through the GitHub adapter they give back the facts the marts
read (the ids in GitHub's form: ``opsline/<repo>#<n>``, deployment numbers)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from demo import generate
from demo.catalog import OPERATOR, SERVICES
from demo.native.github import deployment_number, to_github
from ingestion.native.github import adapt
from ingestion.native.outcomes import Delivery

SEEDS = Path(__file__).parents[2] / "transforms" / "seeds" / "sources"


@pytest.fixture(scope="module")
def delivery_records(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("demo")
    generate(out, days=5, tenants=2, events=3000, seed=7, end=date(2026, 9, 14))
    lines = [line for f in sorted((out / "delivery").glob("*.jsonl")) for line in f.read_text().splitlines()]
    return [r for r in map(json.loads, lines) if r["record_type"] in ("pull_request", "deployment")]


def github_id(pr_id: str) -> str:
    """``<repo>/pr-<n>`` as the GitHub adapter names it."""
    repo, n = pr_id.split("/pr-")
    return f"opsline/{repo}#{n}"


def marts_read(record: dict) -> dict:
    """The fields of a canonical record that the marts read, ids in GitHub's form."""
    common = {"tenant_id": record["tenant_id"], "record_type": record["record_type"]}
    common |= {"occurred_at": record["occurred_at"], "repository": f"opsline/{record['repository']}"}
    if record["record_type"] == "deployment":
        return common | {
            "deployment_id": str(deployment_number(record["deployment_id"])),
            "service": record["service"],
            "team": record["team"],
            "environment": record["environment"],
            "deployment_status": record["deployment_status"],
            "started_at": record["started_at"],
            "pr_ids": [github_id(p) for p in record["pr_ids"]],
        }
    keys = ("pr_action", "author_id", "reviewer_id", "title", "merge_commit_sha")
    return common | {"pr_id": github_id(record["pr_id"])} | {k: record.get(k) for k in keys}


def adapted(record: dict) -> list[dict]:
    outcomes = [o for wrapper in to_github(record) for o in adapt(Delivery.of(wrapper))]
    assert all(o.record is not None for o in outcomes), [(o.reason, o.ignored) for o in outcomes]
    return [o.record for o in outcomes]


def test_every_pull_request_and_deployment_comes_back_through_the_adapter(delivery_records):
    kinds = {r.get("pr_action") or r["deployment_status"] for r in delivery_records}
    assert {"opened", "approved", "merged", "success"} <= kinds, kinds
    for record in delivery_records:
        *pushes, back = adapted(record)
        assert {k: back.get(k) for k in marts_read(record)} == marts_read(record), record
        if record.get("pr_action") == "merged":
            (push,) = pushes
            assert push["commits"] == record["commits"]  # the commits the marts take for the merge
            assert (push["repository"], push["branch"]) == (back["repository"], back["branch"])
            assert push["occurred_at"] <= back["occurred_at"]
        else:
            assert pushes == []


def test_delivery_ids_are_derived_from_the_event_ids(delivery_records):
    wrappers = [w for r in delivery_records for w in to_github(r)]
    assert [w["delivery"] for w in wrappers] == [
        w["delivery"] for r in delivery_records for w in to_github(r)
    ]
    assert len({w["delivery"] for w in wrappers}) == len(wrappers)


def test_deployment_numbers_are_github_like_and_distinct():
    assert deployment_number("dep-000731") == 1_000_000_731
    assert deployment_number("dep-000731") != deployment_number("dep-000732")
    with pytest.raises(ValueError, match="dep-<n>"):
        deployment_number("731")


def test_the_seed_maps_every_demo_repository_to_its_service():
    with open(SEEDS / "source_tenants.csv", newline="") as f:
        rows = {(r["source"], r["source_key"]): r for r in csv.DictReader(f)}
    assert rows["github", "opsline"]["tenant_id"] == OPERATOR[0]
    for service in SERVICES:
        row = rows["github", f"opsline/{service.repository}"]
        assert (row["tenant_id"], row["service"], row["art"]) == (OPERATOR[0], service.name, service.art)
