"""The landing sensor: files dropped into ``landing/<domain>/`` start a run of that domain's bronze asset."""

import datetime as dt
import hashlib

import dagster as dg

from ingestion.contracts import DOMAINS
from ingestion.landing import event_date_range, pending_files
from orchestration.lib.partitions import partition_range_tags, run_window
from orchestration.lib.resources import LakeResource


def landing_run_request(lake: LakeResource, domain: str, today: dt.date) -> dg.RunRequest | None:
    """A run request for a domain's waiting files, keyed by their names, sizes and times (None if none)."""
    files = pending_files(lake.settings(), domain)
    if not files:
        return None
    stamp = hashlib.sha256()
    for path in files:
        stat = path.stat()
        stamp.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return dg.RunRequest(
        run_key=f"{domain}:{stamp.hexdigest()[:24]}",
        asset_selection=[dg.AssetKey(["bronze", domain])],
        tags=partition_range_tags(*run_window([event_date_range(domain, files)], today)),
    )


@dg.sensor(
    target=dg.AssetSelection.groups("bronze"),
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts bronze ingestion when files land in OPSLAKE_HOME/landing/<domain>/.",
)
def landing_sensor(context: dg.SensorEvaluationContext, lake: LakeResource):
    today = dt.datetime.now(dt.UTC).date()
    requests = [r for d in DOMAINS if (r := landing_run_request(lake, d, today))]
    if not requests:
        return dg.SkipReason("no files waiting in landing/")
    return requests
