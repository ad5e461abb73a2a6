-- Incident counts and response times per affected customer tenant, service, severity and month of trigger.
-- Only combinations with at least one incident have a row. Open incidents count in `incidents` and leave the
-- time-to-resolve statistics until they resolve, so the latest month's figures can still move. Means are taken
-- over exact decimals: a mean of doubles depends on the order the rows arrive in.
with

incidents as (

    select * from {{ ref('int_incidents_rolled_up') }}
    -- an incident triggered before the data starts (only its later events landed) has no month to count in
    where triggered_at is not null

),

aggregated as (

    select
        tenant_id,
        service,
        severity,
        cast(date_trunc('month', triggered_at) as date) as month,
        count(*) as incidents,
        count(*) filter (where caused_by_deployment_id is not null) as change_induced_incidents,
        count(acknowledged_at) as acknowledged_incidents,
        count(resolved_at) as resolved_incidents,
        percentile_cont(0.5) within group (order by minutes_to_acknowledge) as mtta_p50_minutes,
        avg({{ as_exact_decimal('minutes_to_acknowledge') }}) as mtta_mean_minutes,
        percentile_cont(0.5) within group (order by minutes_to_resolve) as mttr_p50_minutes,
        avg({{ as_exact_decimal('minutes_to_resolve') }}) as mttr_mean_minutes
    from incidents
    group by tenant_id, service, severity, cast(date_trunc('month', triggered_at) as date)

)

select
    tenant_id,
    service,
    severity,
    month,
    {{ period_coverage_columns('month', 'month') }},
    incidents,
    change_induced_incidents,
    acknowledged_incidents,
    resolved_incidents,
    mtta_p50_minutes,
    mtta_mean_minutes,
    mttr_p50_minutes,
    mttr_mean_minutes
from aggregated
