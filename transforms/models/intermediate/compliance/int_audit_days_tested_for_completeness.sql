{#- Thresholds of the audit volume test (documented in the model description; set in dbt_project.yml). -#}
{%- set trailing_days = var('compliance_audit_volume_trailing_days') -%}
{%- set min_history_days = var('compliance_audit_volume_min_history_days') -%}
{%- set max_abs_z = var('compliance_audit_volume_max_abs_z') -%}
-- SOC 2 CC7.2: the audit trail is complete. Per tenant and UTC day up to the data's as-of (int_lake_as_of: the
-- lake's latest complete day across feeds, less a grace; not the audit feed's own latest day, or a stopped audit
-- feed would leave every later day untested) on which the tenant had usage or audit events:
--   * no audit event on a day with usage is an exception;
--   * otherwise the day's audit event count x is compared with the same kind of day (weekday or weekend: weekends
--     are far quieter) among the tenant's tested days of the trailing 28 days, by a robust z-score
--     z = (x - median) / max(1.4826 * MAD, sqrt(median), 1). MAD alone collapses to almost nothing on steady tenants
--     (a handful of events would flag); sqrt(median) is the Poisson noise of a count, 1 keeps tiny tenants sane.
--     |z| > 4 with at least 4 such days of history is an exception (on the 90-day demo lake no day exceeds 3.7).
with

audit_events as (

    select * from {{ ref('stg_silver__audit_events') }}

),

usage_events as (

    select * from {{ ref('stg_silver__usage_events') }}

),

as_of as (

    select as_of_date from {{ ref('int_lake_as_of') }}

),

audit_days as (

    select
        tenant_id,
        occurred_at::date as day,
        count(*) as audit_events
    from audit_events
    group by tenant_id, occurred_at::date

),

usage_days as (

    select
        tenant_id,
        occurred_at::date as day,
        count(*) as usage_windows
    from usage_events
    group by tenant_id, occurred_at::date

),

days as (

    select
        coalesce(audit_days.tenant_id, usage_days.tenant_id) as tenant_id,
        coalesce(audit_days.day, usage_days.day) as day,
        coalesce(audit_days.audit_events, 0) as audit_events,
        coalesce(usage_days.usage_windows, 0) as usage_windows,
        isodow(coalesce(audit_days.day, usage_days.day)) >= 6 as is_weekend
    from audit_days
    full outer join usage_days
        on audit_days.tenant_id = usage_days.tenant_id
        and audit_days.day = usage_days.day
    where coalesce(audit_days.day, usage_days.day) <= (select as_of_date from as_of)

),

history as (

    select
        days.tenant_id,
        days.day,
        past.audit_events as past_audit_events
    from days
    inner join days as past
        on days.tenant_id = past.tenant_id
        and days.is_weekend = past.is_weekend
        and past.day < days.day
        and past.day >= days.day - {{ trailing_days }}

),

medians as (

    select
        tenant_id,
        day,
        count(*) as history_days,
        percentile_cont(0.5) within group (order by past_audit_events) as trailing_median
    from history
    group by tenant_id, day

),

deviations as (

    select
        history.tenant_id,
        history.day,
        percentile_cont(0.5) within group (order by abs(history.past_audit_events - medians.trailing_median))
            as trailing_mad
    from history
    inner join medians
        on history.tenant_id = medians.tenant_id
        and history.day = medians.day
    group by history.tenant_id, history.day

),

scored as (

    select
        days.*,
        coalesce(medians.history_days, 0) as history_days,
        medians.trailing_median,
        deviations.trailing_mad,
        case
            when medians.history_days >= {{ min_history_days }}
                then (days.audit_events - medians.trailing_median)
                / greatest(1.4826 * deviations.trailing_mad, sqrt(medians.trailing_median), 1.0)
        end as robust_z
    from days
    left join medians
        on days.tenant_id = medians.tenant_id
        and days.day = medians.day
    left join deviations
        on days.tenant_id = deviations.tenant_id
        and days.day = deviations.day

),

population as (

    select
        'CC7.2-AUDIT-TRAIL' as control_id,
        date_trunc('month', day)::date as month,
        tenant_id || ':' || strftime(day, '%Y-%m-%d') as population_item_id,
        day::timestamptz as occurred_at,
        *
    from scored

),

exceptions as (

    select
        tenant_id,
        population_item_id,
        'no_audit_events' as exception_type,
        0.0 as measured_value,
        cast(null as double) as threshold_value,
        'No audit event on a day with ' || usage_windows || ' usage windows' as detail
    from population
    where audit_events = 0
        and usage_windows > 0

    union all

    select
        tenant_id,
        population_item_id,
        'audit_volume_anomaly' as exception_type,
        robust_z as measured_value,
        cast({{ max_abs_z }} as double) as threshold_value,
        audit_events || ' audit events against a trailing ' || case when is_weekend then 'weekend' else 'weekday' end
        || ' median of ' || trailing_median || ' (MAD ' || trailing_mad || ', ' || history_days
        || ' days): robust z ' || round(robust_z, 2) as detail
    from population
    where audit_events > 0
        and abs(robust_z) > {{ max_abs_z }}

)

select
    {{- compliance_result_columns(
        measured_value='exceptions.measured_value',
        threshold_value='exceptions.threshold_value',
        evidence_event_ids='cast([] as varchar [])'
    ) }}
from population
left join exceptions
    on population.tenant_id = exceptions.tenant_id
    and population.population_item_id = exceptions.population_item_id
