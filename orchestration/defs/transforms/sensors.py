"""Declarative automation: dbt models rebuild after the bronze tables they read are updated."""

import dagster as dg

transforms_automation = dg.AutomationConditionSensorDefinition(
    "transforms_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Evaluates each asset's automation condition (dbt models: after their bronze inputs change).",
)
