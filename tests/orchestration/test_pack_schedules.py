"""The scheduled evidence packs: the weekly SOC 2 and monthly GDPR ticks ask for the right month, and the job
writes a pack that verifies, recording its folder in the run."""

from __future__ import annotations

import datetime as dt
import shutil

import dagster as dg
import pytest

from opslake.settings import Settings
from orchestration.definitions import build_definitions
from reports.verify import verify


@pytest.fixture(scope="module")
def home(built_lake, tmp_path_factory) -> Settings:
    own = tmp_path_factory.mktemp("scheduled") / "home"
    shutil.copytree(built_lake.settings.home, own, symlinks=True)
    return Settings.at(own)


@pytest.fixture(scope="module")
def defs(home) -> dg.Definitions:
    return build_definitions(home)


def _tick(defs: dg.Definitions, schedule: str, at: dt.datetime) -> dg.RunRequest:
    with dg.build_schedule_context(scheduled_execution_time=at) as context:
        (request,) = defs.resolve_schedule_def(schedule).evaluate_tick(context).run_requests
    return request


def _asked(request: dg.RunRequest) -> dict:
    return request.run_config["ops"]["compliance_pack"]["config"]


def test_the_definitions_load_with_the_pack_schedules(defs):
    dg.Definitions.validate_loadable(defs)
    weekly, monthly = (
        defs.resolve_schedule_def("weekly_soc2_pack"),
        defs.resolve_schedule_def("monthly_gdpr_pack"),
    )
    assert (weekly.cron_schedule, weekly.execution_timezone) == ("0 6 * * 1", "UTC")
    assert (monthly.cron_schedule, monthly.execution_timezone) == ("0 6 1 * *", "UTC")
    assert weekly.job_name == monthly.job_name == "compliance_pack_job"


@pytest.mark.parametrize(
    ("monday", "period"),
    [("2026-10-05", "2026-10"), ("2026-06-01", "2026-05")],  # a first Monday: the finished month once more
)
def test_the_weekly_tick_asks_for_the_soc2_month_of_its_last_complete_day(defs, monday, period):
    at = dt.datetime.fromisoformat(f"{monday}T06:00:00+00:00")
    assert at.weekday() == 0
    assert _asked(_tick(defs, "weekly_soc2_pack", at)) == {"framework": "soc2", "period": period}


def test_the_monthly_job_writes_the_previous_months_gdpr_pack_that_verifies(home, defs):
    request = _tick(defs, "monthly_gdpr_pack", dt.datetime(2026, 10, 1, 6, tzinfo=dt.UTC))
    assert _asked(request) == {"framework": "gdpr", "period": "2026-09"}
    job = defs.resolve_job_def("compliance_pack_job")
    result = job.execute_in_process(run_config=request.run_config, instance=dg.DagsterInstance.ephemeral())
    assert result.success
    folder = home.reports / "gdpr" / "2026-09"
    assert result.output_for_node("compliance_pack") == str(folder)
    (output,) = [e for e in result.all_node_events if e.event_type == dg.DagsterEventType.STEP_OUTPUT]
    assert output.event_specific_data.metadata["pack"] == dg.MetadataValue.path(str(folder))
    verdict = verify(home, folder, home.signing_public_key_path)
    assert verdict.holds, verdict.lines
    assert any(line.startswith("re-computed from the lake at the pack's recorded") for line in verdict.lines)
    assert sum(line.endswith(": identical") for line in verdict.lines) == len(list(folder.glob("controls/*")))
