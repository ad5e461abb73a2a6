"""The erasure log as an asset: created empty before the first erasure, so the compliance models can read it."""

import dagster as dg

from opslake.lake import row_count
from opslake.tables import ERASURE_LOG
from orchestration.lib.resources import LakeResource
from privacy.erasure import ensure_erasure_log


@dg.asset(
    key=["governance", ERASURE_LOG],
    group_name="governance",
    kinds={"delta"},
    description="One receipt per GDPR erasure (`opslake erase` appends them); created empty if none ran yet.",
)
def erasure_log(lake: LakeResource) -> dg.MaterializeResult:
    settings = lake.settings()
    ensure_erasure_log(settings)
    rows = row_count(settings.table_uri("governance", ERASURE_LOG))
    return dg.MaterializeResult(metadata={"dagster/row_count": rows})
