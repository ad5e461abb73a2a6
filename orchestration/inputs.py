"""What a build is made from, without Dagster: so that ``opslake run`` with nothing new answers in a second or
two, before it loads Dagster, dbt or the definitions."""

from __future__ import annotations

import datetime as dt
import json

from ingestion.contracts import DOMAINS
from ingestion.landing import waiting_domains
from opslake import dbt_project, lake, warehouse
from opslake.settings import Settings
from privacy.retention import apply_retention
from privacy.silver import masking_fingerprint


def inputs_fingerprint(settings: Settings) -> str:
    """What everything downstream of bronze is built from: the bronze table versions, the dbt project, and the
    masking policy and code (a policy edit rebuilds silver and the marts)."""
    versions = {}
    for domain in DOMAINS:
        table = lake.open_table(settings.table_uri("bronze", domain))
        versions[domain] = None if table is None else table.version()
    code = {"dbt_project": dbt_project.fingerprint(), "masking": masking_fingerprint()}
    return json.dumps({"bronze": versions, **code}, sort_keys=True)


def quick_run(settings: Settings, today: dt.date) -> bool:
    """A run without Dagster when nothing is new: no landing file waits and the warehouse was last built from
    exactly the current inputs (so bronze's blocking checks passed on them). It applies retention, as every run
    does (and records it); False when anything is to be built, including what retention removed. The caller
    holds the lake's writer lock (``lake.lake_writer``)."""
    last = warehouse.last_build(settings)
    if last is None or waiting_domains(settings) or last != inputs_fingerprint(settings):
        return False
    return not any(e.rows for e in apply_retention(settings, today))
