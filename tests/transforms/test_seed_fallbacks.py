"""What becomes of a value a seed does not list. A workflow state missing from `work_item_states` is kept as
`unclassified`: the item's history stays whole and it still loads its team, instead of falling out of the flow
metrics. A work-item type missing from `work_item_types` has no flow level to count in: it is quarantined, and the
reason names the seed.

A service missing from `slo_objectives` is accepted and not measured: it has no SLO rows.

Two hand-made stories go through ingestion, silver and dbt: one passes through an unknown state on its way to done,
the other sits in an unknown state at the end of the data. Usage of a service with SLOs and of one without is
written straight into silver."""

from __future__ import annotations

import datetime as dt

import pytest

from cli.summary import review_notes
from ingestion.pipeline import ingest
from opslake.warehouse import load_sources
from privacy.silver import build_silver
from tests.fixtures.lake_tables import read_quarantine, write_lake_table
from tests.fixtures.records import write_jsonl

TEAM = {"tenant_id": "t-platform", "record_type": "work_item", "art": "Platform ART", "team": "Team Falcon"}
MOVES = [  # item, from, to, when (September 2026; the 14th is a Monday)
    ("STORY-1", None, "backlog", "14T08:00"),
    ("STORY-2", None, "backlog", "14T09:00"),
    ("STORY-2", "backlog", "in_progress", "14T10:00"),
    ("STORY-1", "backlog", "in_progress", "14T12:00"),
    ("STORY-2", "in_progress", "uat", "15T10:00"),  # not in the seed, and still there at the end
    ("STORY-1", "in_progress", "qa_signoff", "15T12:00"),  # not in the seed
    ("STORY-1", "qa_signoff", "done", "16T12:00"),
]


def _records(moves: list[tuple], work_item_type: str = "story") -> list[dict]:
    return [
        {**TEAM, "event_id": f"del-{i}", "occurred_at": f"2026-09-{when}:00Z", "pi": "PI-2026.4",
         "work_item_id": item, "work_item_type": work_item_type, "from_state": source, "to_state": target}
        for i, (item, source, target, when) in enumerate(moves)
    ]  # fmt: skip


def usage(n: int, service: str) -> dict:
    return {
        "event_id": f"use-{n}", "occurred_at": dt.datetime(2026, 9, 14, 8, n, tzinfo=dt.UTC), "tenant_id": "t-acme",
        "user_id": "u-1", "service": service, "feature": "export", "window_seconds": 60, "requests": 10, "errors": 0,
        "latency_le_100ms": 10, "latency_le_300ms": 10, "latency_le_1000ms": 10,
    }  # fmt: skip


def no_entities(values: list[str], context: list[str]) -> list[list[tuple[str, float]]]:
    return [[] for _ in values]


def keep_text(texts: list[str | None], known: object) -> list[str | None]:
    return texts


@pytest.fixture(scope="module")
def lake(module_lake, tmp_path_factory):
    settings = module_lake.settings
    path = write_jsonl(tmp_path_factory.mktemp("landing") / "delivery.jsonl", _records(MOVES))
    # an unknown state breaks no contract
    assert ingest(settings, "delivery", [path]).accepted == len(MOVES)
    build_silver(settings, "delivery", no_entities, keep_text)
    write_lake_table(settings, "silver", "usage", [usage(1, "api-gateway"), usage(2, "ledger-sync")])
    for domain in ("audit", "cost", "incident"):  # every feed dates the data's as-of: present, if empty
        write_lake_table(settings, "silver", domain, [])
    load_sources(settings)
    selection = ("--select", "+flow_metrics_weekly", "+slo_daily", "--indirect-selection", "cautious")
    results = module_lake.dbt("build", *selection, "--exclude", "test_type:unit")
    failed = [r["unique_id"] for r in results if r["status"] not in ("success", "pass")]
    assert results and not failed, failed
    return module_lake


def test_an_unknown_state_is_unclassified_and_nothing_is_dropped(lake):
    periods = lake.query(
        "select work_item_id, state, state_class from intermediate.int_work_item_state_intervals_classified "
        "order by work_item_id, period_number"
    )
    assert periods == [
        ("STORY-1", "backlog", "waiting"), ("STORY-1", "in_progress", "active"),
        ("STORY-1", "qa_signoff", "unclassified"), ("STORY-1", "done", "done"),
        ("STORY-2", "backlog", "waiting"), ("STORY-2", "in_progress", "active"), ("STORY-2", "uat", "unclassified"),
    ]  # fmt: skip


def test_the_flow_mart_counts_unclassified_time_as_load_but_not_as_active_work(lake):
    [row] = lake.dicts("select * from marts.flow_metrics_weekly")
    assert (row["team"], row["week_start"]) == ("Team Falcon", dt.date(2026, 9, 14))
    assert row["flow_velocity"] == 1  # STORY-1 reached done through the unknown state
    assert row["flow_time_p50_days"] == pytest.approx(2.0)  # in progress on the 14th at 12:00, done the 16th
    assert row["flow_efficiency"] == pytest.approx(0.5)  # one active day of two: qa_signoff is not active
    # Work in progress at the end of the 14th, 15th and 16th: both, both (each in an unknown state), STORY-2
    assert row["flow_load_avg_wip"] == pytest.approx((2 + 2 + 1) / 3)


def test_a_service_without_an_slo_is_not_measured(lake):
    assert lake.query("select distinct service from marts.slo_daily") == [("api-gateway",)]


def test_opslake_run_names_what_the_seeds_do_not_list(lake):
    assert review_notes(lake.settings) == [
        "work-item states missing from the seed, counted as `unclassified` (not active, not done): "
        "`qa_signoff` (work items: 1), `uat` (work items: 1); add them to transforms/seeds/flow/work_item_states.csv",
        "services of the usage data missing from the seed, not measured against an SLO (no slo_daily rows): "
        "`ledger-sync` (usage windows: 1); add them to transforms/seeds/reliability/slo_objectives.csv",
    ]


def test_an_unknown_work_item_type_is_quarantined_naming_the_seed(settings, tmp_path):
    path = write_jsonl(tmp_path / "delivery.jsonl", _records(MOVES[:1], work_item_type="initiative"))
    reason = "not_in_seed:work_item_types:work_item_type"
    assert ingest(settings, "delivery", [path]).as_dict()["reasons"] == {reason: 1}
    assert read_quarantine(settings).column("reason").to_pylist() == [reason]
