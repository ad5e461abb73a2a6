"""A tenant's plan and quota come from the renewal's own fields: they survive a message that masking rewrote whole.

A small hand-made lake goes through ingestion, the silver masking (with a text mask that replaces every message by
one placeholder, the worst masking can do) and dbt. One renewal is stored as a lake from before the fields existed
holds it: the plan and quota in `_extra`, which staging falls back to."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from ingestion.pipeline import ingest
from opslake.warehouse import load_sources
from privacy.catalog import catalog
from privacy.silver import build_silver
from tests.fixtures.lake_tables import read_bronze, write_lake_table
from tests.fixtures.records import audit, write_jsonl

MASKED = "<PERSON>"


def renewal(
    n: int, tenant: str, day: str, plan: str | None, quota: int | None, outcome: str = "success"
) -> dict:
    """A renewal as the demo's billing system sends it: the fields, and a message for people that says them too."""
    message = f"{plan or 'Starter'} plan active for Acme Corp: quota {quota or 16_000:,} units per month"
    return audit(
        n, tenant_id=tenant, occurred_at=f"{day}T00:05:00Z", actor_id="system:billing", actor_type="system",
        action="subscription.renew", outcome=outcome, mfa_used=..., source_ip=..., message=message, plan=plan,
        monthly_quota_units=quota,
    )  # fmt: skip


RENEWALS = [
    renewal(1, "t-acme", "2026-09-01", "Business", 63_000),
    renewal(2, "t-acme", "2026-09-20", "enterprise", 190_000),  # the month's latest
    renewal(3, "t-beta", "2026-10-01", "starter", 16_000),
    renewal(4, "t-beta", "2026-10-15", "business", 63_000, outcome="failure"),
]


def usage(n: int, tenant: str, day: int, quota_units: float) -> dict:
    return {
        "event_id": f"use-{n}", "occurred_at": dt.datetime(2026, 9, day, 8, n, tzinfo=dt.UTC), "tenant_id": tenant,
        "user_id": "u-1", "service": "api-gateway", "feature": "export", "requests": 10, "errors": 0,
        "compute_units": 1.0, "quota_units": quota_units,
    }  # fmt: skip


def mask_every_text(texts: list[str | None], known: object) -> list[str | None]:
    return [None if t is None else MASKED for t in texts]


def no_entities(values: list[str], context: list[str]) -> list[list[tuple[str, float]]]:
    return [[] for _ in values]


@pytest.fixture(scope="module")
def lake(module_lake, tmp_path_factory):
    settings = module_lake.settings
    # a renewal ingested before plan and quota were contract fields: ingestion kept them in `_extra`
    legacy = renewal(9, "t-gamma", "2026-09-01", None, None)
    legacy |= {
        "occurred_at": dt.datetime(2026, 9, 1, 0, 5, tzinfo=dt.UTC),
        "event_date": dt.date(2026, 9, 1),
        "_extra": json.dumps({"plan": "Starter", "quota_units": 16000}),
    }
    write_lake_table(settings, "bronze", "audit", [legacy])
    path = write_jsonl(tmp_path_factory.mktemp("landing") / "audit.jsonl", RENEWALS)
    assert ingest(settings, "audit", [path]).accepted == len(RENEWALS)
    build_silver(settings, "audit", no_entities, mask_every_text)
    usage_rows = [usage(1, "t-acme", 3, 1000), usage(2, "t-acme", 25, 500), usage(3, "t-gamma", 3, 20_000)]
    write_lake_table(settings, "silver", "usage", usage_rows)
    for domain in ("cost", "incident", "delivery"):  # every feed dates the data's as-of: present, if empty
        write_lake_table(settings, "silver", domain, [])
    load_sources(settings)
    # the tenant mart and what it is built from; tests that need other marts (cautious) are left out
    results = module_lake.dbt(
        "build",
        "--select",
        "+tenant_usage_monthly",
        "--indirect-selection",
        "cautious",
        "--exclude",
        "test_type:unit",
    )
    failed = [r["unique_id"] for r in results if r["status"] not in ("success", "pass")]
    assert results and not failed, failed
    return module_lake


def test_the_fields_reach_bronze_and_silver_and_the_message_is_masked_whole(lake):
    bronze = {r["event_id"]: r for r in read_bronze(lake.settings, "audit").to_pylist()}
    assert (bronze["aud-1"]["plan"], bronze["aud-1"]["monthly_quota_units"]) == ("Business", 63_000)
    classes = catalog(lake.settings, "audit")
    for column in ("plan", "monthly_quota_units"):
        assert (classes["audit", column].policy, classes["audit", column].source) == ("keep", "declared")
    assert {m for (m,) in lake.query("select message from silver.audit")} == {MASKED}


def test_plan_and_quota_survive_a_fully_masked_message(lake):
    rows = lake.dicts(
        "select tenant_id, month, plan, monthly_quota_units, quota_used_ratio, is_over_quota "
        "from marts.tenant_usage_monthly order by tenant_id, month"
    )
    assert rows == [
        # the latest renewal of September counts; 1000 + 500 units used of 190,000
        {"tenant_id": "t-acme", "month": dt.date(2026, 9, 1), "plan": "enterprise", "monthly_quota_units": 190_000,
         "quota_used_ratio": pytest.approx(1500 / 190_000), "is_over_quota": False},
        # the failed renewal of October 15 changes nothing
        {"tenant_id": "t-beta", "month": dt.date(2026, 10, 1), "plan": "starter", "monthly_quota_units": 16_000,
         "quota_used_ratio": 0.0, "is_over_quota": False},
        # the lake from before the fields: `_extra` (its key `plan` kept by silver, like the field), lower-cased
        {"tenant_id": "t-gamma", "month": dt.date(2026, 9, 1), "plan": "starter", "monthly_quota_units": 16_000,
         "quota_used_ratio": pytest.approx(20_000 / 16_000), "is_over_quota": True},
    ]  # fmt: skip
