-- One row per incident, for the incident list behind the monthly figures: when it was triggered, acknowledged and
-- resolved, its final severity and service, and the deployment blamed for it. No free text and no people: the
-- summary and the responders stay in silver.
with

incidents as (

    select * from {{ ref('int_incidents_rolled_up') }}
    -- as in incident_metrics_monthly: an incident triggered before the data starts has no month and no start
    where triggered_at is not null

)

select
    tenant_id,
    incident_id,
    service,
    severity,
    source,
    cast(date_trunc('month', triggered_at) as date) as month,
    triggered_at,
    acknowledged_at,
    resolved_at,
    cast(minutes_to_acknowledge as double) as minutes_to_acknowledge,
    cast(minutes_to_resolve as double) as minutes_to_resolve,
    caused_by_deployment_id,
    caused_by_deployment_id is not null as is_change_induced,
    resolved_at is null as is_open,
    triggered_event_id
from incidents
