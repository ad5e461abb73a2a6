-- One row per incident from its lifecycle events. The first `triggered`, first `acknowledged` and first `resolved`
-- event count; severity, service and cause are taken from the latest event that has them (a re-triaged
-- incident is reported at its final severity; `arg_max` skips nulls, so a cause is never cleared by silence).
with

events as (

    select * from {{ ref('stg_silver__incident_events') }}

),

rolled_up as (

    select
        tenant_id,
        incident_id,
        arg_max(service, occurred_at) as service,
        arg_max(severity, occurred_at) as severity,
        arg_max(source, occurred_at) as source,
        arg_max(caused_by_deployment_id, occurred_at) as caused_by_deployment_id,
        min(occurred_at) filter (where status = 'triggered') as triggered_at,
        min(occurred_at) filter (where status = 'acknowledged') as acknowledged_at,
        min(occurred_at) filter (where status = 'resolved') as resolved_at,
        arg_min(event_id, occurred_at) filter (where status = 'triggered') as triggered_event_id,
        arg_min(event_id, occurred_at) filter (where status = 'acknowledged') as acknowledged_event_id,
        arg_min(event_id, occurred_at) filter (where status = 'resolved') as resolved_event_id,
        arg_min(responder_id, occurred_at) filter (where status = 'acknowledged') as first_responder_id

    from events
    group by tenant_id, incident_id

)

select
    *,
    date_diff('second', triggered_at, acknowledged_at) / 60.0 as minutes_to_acknowledge,
    date_diff('second', triggered_at, resolved_at) / 60.0 as minutes_to_resolve
from rolled_up
