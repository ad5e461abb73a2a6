"""Scheduled evidence packs: a weekly SOC 2 pack of the month in progress and a monthly GDPR pack of the month
just closed, each written by ``reports.packs.generate`` from the current publication.

The weekly tick (Monday 06:00 UTC) makes the pack of the month holding the day before it, its last complete
day: partial while that month runs, and on the first Monday of a month the finished month once more, now
complete. The monthly tick (the 1st, 06:00 UTC) makes the previous month's pack, a closed period.
"""

import datetime as dt

import dagster as dg

from opslake.publication import NotPublished
from orchestration.lib.resources import LakeResource
from reports.packs import PackError, Request, generate

OP = "compliance_pack"


class PackConfig(dg.Config):
    framework: str  # soc2 or gdpr
    period: str  # YYYY-MM


@dg.op(name=OP, description="Writes a signed evidence pack of a framework's controls for a month.")
def compliance_pack(context: dg.OpExecutionContext, config: PackConfig, lake: LakeResource) -> dg.Output:
    """The pack's folder is the op's output, with the figures' source in its metadata (the run's record)."""
    try:
        request = Request.parse(config.framework, config.period, None)
        folder = generate(lake.settings(), request)
    except (PackError, NotPublished) as e:
        raise dg.Failure(description=f"no {config.framework} pack for {config.period}: {e}") from e
    context.log.info(f"evidence pack written to {folder}")
    return dg.Output(
        str(folder),
        metadata={
            "pack": dg.MetadataValue.path(str(folder)),
            "framework": config.framework,
            "period": config.period,
        },
    )


@dg.job(
    description="An evidence pack: a privileged operation, recorded in lake/governance/privileged_operations."
)
def compliance_pack_job():
    compliance_pack()


def _request(framework: str, month: dt.date, tick: dt.date) -> dg.RunRequest:
    period = f"{month:%Y-%m}"
    return dg.RunRequest(
        run_key=f"{framework}-{period}-{tick.isoformat()}",  # one run per tick, however often it is evaluated
        run_config={"ops": {OP: {"config": {"framework": framework, "period": period}}}},
        tags={"opslake/framework": framework, "opslake/period": period},
    )


@dg.schedule(
    job=compliance_pack_job,
    cron_schedule="0 6 * * 1",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Monday 06:00 UTC: the SOC 2 pack of the month holding the last complete day.",
)
def weekly_soc2_pack(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    tick = context.scheduled_execution_time.date()
    return _request("soc2", (tick - dt.timedelta(days=1)).replace(day=1), tick)


@dg.schedule(
    job=compliance_pack_job,
    cron_schedule="0 6 1 * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="The 1st, 06:00 UTC: the GDPR pack of the previous month, a closed period.",
)
def monthly_gdpr_pack(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    tick = context.scheduled_execution_time.date()
    return _request("gdpr", (tick.replace(day=1) - dt.timedelta(days=1)).replace(day=1), tick)
