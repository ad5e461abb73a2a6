-- SOC 2 CC7.4: incidents of a severity with policy targets (seed incident_response_targets: sev1, sev2) are
-- acknowledged and resolved within them, counted from the trigger; meeting a target exactly is on time. An incident
-- resolved without an acknowledgement counts as acknowledged when resolved. An incident still open past a target
-- at the as-of time (the end of the data's as-of day, int_lake_as_of) has breached it; an incident still inside a
-- target it has not met yet, and breaching none, cannot be judged and is left out until it can. Incidents whose
-- trigger predates the data are not tested (no start to measure from). One exception per incident per breached
-- target.
with

incidents as (

    select * from {{ ref('int_incidents_rolled_up') }}

),

targets as (

    select * from {{ ref('incident_response_targets') }}

),

as_of as (

    select as_of_at as as_of from {{ ref('int_lake_as_of') }}

),

measured as (

    select
        incidents.tenant_id,
        incidents.incident_id,
        incidents.severity,
        incidents.triggered_at,
        incidents.acknowledged_at,
        incidents.resolved_at,
        incidents.first_responder_id,
        targets.acknowledge_minutes,
        targets.resolve_minutes,
        date_diff('second', incidents.triggered_at, coalesce(incidents.acknowledged_at, incidents.resolved_at)) / 60.0
            as minutes_to_acknowledge,
        incidents.minutes_to_resolve,
        date_diff('second', incidents.triggered_at, as_of.as_of) / 60.0 as minutes_open,
        list_filter(
            [incidents.triggered_event_id, incidents.acknowledged_event_id, incidents.resolved_event_id],
            lambda x: x is not null
        ) as evidence_event_ids
    from incidents
    inner join targets on incidents.severity = targets.severity
    cross join as_of
    where incidents.triggered_at is not null

),

judged as (

    select
        *,
        coalesce(minutes_to_acknowledge, minutes_open) > acknowledge_minutes as is_acknowledge_breached,
        coalesce(minutes_to_resolve, minutes_open) > resolve_minutes as is_resolve_breached,
        minutes_to_acknowledge is null and minutes_open <= acknowledge_minutes as is_acknowledge_pending,
        minutes_to_resolve is null and minutes_open <= resolve_minutes as is_resolve_pending
    from measured

),

population as (

    select
        'CC7.4-INCIDENT-RESPONSE' as control_id,
        date_trunc('month', triggered_at)::date as month,
        incident_id as population_item_id,
        triggered_at as occurred_at,
        *
    from judged
    where is_acknowledge_breached
        or is_resolve_breached
        or not (is_acknowledge_pending or is_resolve_pending)

),

exceptions as (

    select
        tenant_id,
        population_item_id,
        'acknowledged_late' as exception_type,
        coalesce(minutes_to_acknowledge, minutes_open) as measured_value,
        acknowledge_minutes::double as threshold_value,
        case
            when minutes_to_acknowledge is null
                then severity || ' not acknowledged ' || round(minutes_open, 1) || ' minutes after the trigger'
            else severity || ' acknowledged ' || round(minutes_to_acknowledge, 1) || ' minutes after the trigger'
        end || ' (target ' || acknowledge_minutes || ' minutes)' as detail
    from population
    where is_acknowledge_breached

    union all

    select
        tenant_id,
        population_item_id,
        'resolved_late' as exception_type,
        coalesce(minutes_to_resolve, minutes_open) as measured_value,
        resolve_minutes::double as threshold_value,
        case
            when minutes_to_resolve is null
                then severity || ' still open ' || round(minutes_open, 1) || ' minutes after the trigger'
            else severity || ' resolved ' || round(minutes_to_resolve, 1) || ' minutes after the trigger'
        end || ' (target ' || resolve_minutes || ' minutes)' as detail
    from population
    where is_resolve_breached

)

select
    {{- compliance_result_columns(
        actor_id='population.first_responder_id',
        measured_value='exceptions.measured_value',
        threshold_value='exceptions.threshold_value'
    ) }}
from population
left join exceptions
    on population.tenant_id = exceptions.tenant_id
    and population.population_item_id = exceptions.population_item_id
