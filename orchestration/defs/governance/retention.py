"""The retention job and its daily schedule: delete what is kept too long, purge its history, record it."""

import datetime as dt

import dagster as dg

from orchestration.lib.resources import LakeResource
from privacy.retention import apply_retention


@dg.op(description="Deletes rows past each table's retention (privacy/retention.yml) and purges history.")
def enforce_retention(context: dg.OpExecutionContext, lake: LakeResource) -> None:
    """The run holds the lake's writer lock (its ``lake`` resource takes it), as `opslake retention` does."""
    for expired in apply_retention(lake.settings(), dt.datetime.now(dt.UTC).date()):
        context.log.info(f"retention: {expired.as_dict()}")


@dg.job(description="Retention: a privileged operation, recorded in lake/governance/privileged_operations.")
def retention():
    enforce_retention()


retention_schedule = dg.ScheduleDefinition(
    job=retention,
    cron_schedule="15 2 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
