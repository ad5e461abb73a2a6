{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='day',
        on_schema_change='fail',
    )
}}
{#- Incremental like the minute fact: the latest built day and the `slo_lookback_days` days before it are
    rebuilt. The rolling budget of a rebuilt day needs the days before it in its window: their daily counts are
    read back from this table (a day older than the cutoff is final), not re-aggregated from minutes. -#}
{%- set lookback_days = var('slo_lookback_days') -%}

with

objectives as (

    -- one row per service, its two SLIs side by side
    select
        service,
        max(objective) filter (where sli = 'availability') as availability_objective,
        max(window_days) filter (where sli = 'availability') as availability_window_days,
        max(objective) filter (where sli = 'latency') as latency_objective,
        max(latency_threshold_ms) filter (where sli = 'latency') as latency_threshold_ms,
        max(window_days) filter (where sli = 'latency') as latency_window_days

    from {{ ref('slo_objectives') }}
    group by service

),

bounds as (

    select
        {%- if is_incremental() %}
        (select coalesce(max(day) - {{ lookback_days }}, date '1970-01-01') from {{ this }})
        {%- else %}
        date '1970-01-01'
        {%- endif %} as first_day,
        (select max(event_date) from {{ ref('int_usage_minutes_aggregated') }}) as last_day,
        (select max(window_days) from {{ ref('slo_objectives') }}) as longest_window_days

),

new_day_counts as (

    select
        minutes.tenant_id,
        minutes.service,
        minutes.event_date as day,
        sum(minutes.requests) as requests,
        sum(minutes.errors) as errors,
        sum(minutes.latency_requests) as latency_requests,
        sum(
            case objectives.latency_threshold_ms
                when 100 then minutes.latency_le_100ms
                when 300 then minutes.latency_le_300ms
                when 1000 then minutes.latency_le_1000ms
            end
        ) as fast_requests

    from {{ ref('int_usage_minutes_aggregated') }} as minutes
    inner join objectives on minutes.service = objectives.service  -- a service without an SLO is not measured
    where minutes.event_date >= (select first_day from bounds)
    group by minutes.tenant_id, minutes.service, minutes.event_date

),

earlier_day_counts as (

    {%- if is_incremental() %}
    select tenant_id, service, day, requests, errors, latency_requests, fast_requests
    from {{ this }}
    where
        day < (select first_day from bounds)
        and day > (select first_day - longest_window_days from bounds)
    {%- else %}
    select * from new_day_counts where false
    {%- endif %}

),

service_spans as (

    -- a tenant's service has a row for every day from the first day it was used to the last day of data, so a
    -- day without requests shows (SLIs null) and still moves the rolling window on
    select tenant_id, service, min(day) as first_used_day
    from (
        select tenant_id, service, day from new_day_counts
        union all
        select tenant_id, service, day from earlier_day_counts
    ) as used
    group by tenant_id, service

),

calendar as (

    select cast(days.day as date) as day
    from
        bounds,
        generate_series(
            cast(greatest(bounds.first_day, (select min(day) from new_day_counts)) as timestamp),
            cast(bounds.last_day as timestamp),
            interval 1 day
        ) as days (day)

),

new_days as (

    select
        service_spans.tenant_id,
        service_spans.service,
        calendar.day,
        coalesce(new_day_counts.requests, 0) as requests,
        coalesce(new_day_counts.errors, 0) as errors,
        coalesce(new_day_counts.latency_requests, 0) as latency_requests,
        coalesce(new_day_counts.fast_requests, 0) as fast_requests

    from service_spans
    inner join calendar on service_spans.first_used_day <= calendar.day
    left join new_day_counts
        on
            service_spans.tenant_id = new_day_counts.tenant_id
            and service_spans.service = new_day_counts.service
            and calendar.day = new_day_counts.day

),

all_days as (

    select *, true as is_new from new_days
    union all
    select *, false as is_new from earlier_day_counts

),

rolling as (

    -- the window of `window_days` days ends with the day itself. The frame length comes from the seed, row by
    -- row (a DuckDB extension); a service without objectives gets a one-day frame and null budgets.
    select
        all_days.*,
        objectives.availability_objective,
        objectives.availability_window_days,
        objectives.latency_threshold_ms,
        objectives.latency_objective,
        objectives.latency_window_days,
        sum(all_days.requests) over (
            partition by all_days.tenant_id, all_days.service order by all_days.day
            range between to_days(coalesce(objectives.availability_window_days, 1) - 1) preceding and current row
        ) as availability_window_requests,
        sum(all_days.errors) over (
            partition by all_days.tenant_id, all_days.service order by all_days.day
            range between to_days(coalesce(objectives.availability_window_days, 1) - 1) preceding and current row
        ) as availability_window_errors,
        sum(all_days.latency_requests) over (
            partition by all_days.tenant_id, all_days.service order by all_days.day
            range between to_days(coalesce(objectives.latency_window_days, 1) - 1) preceding and current row
        ) as latency_window_requests,
        sum(all_days.latency_requests - all_days.fast_requests) over (
            partition by all_days.tenant_id, all_days.service order by all_days.day
            range between to_days(coalesce(objectives.latency_window_days, 1) - 1) preceding and current row
        ) as latency_window_slow_requests

    from all_days
    left join objectives on all_days.service = objectives.service

),

final as (

    select
        tenant_id,
        service,
        day,
        cast(requests as bigint) as requests,
        cast(errors as bigint) as errors,
        cast(latency_requests as bigint) as latency_requests,
        cast(fast_requests as bigint) as fast_requests,

        availability_objective,
        cast(1 - availability_objective as decimal(9, 6)) as availability_error_budget,
        (requests - errors) / nullif(requests, 0) as availability_sli,
        errors / nullif(requests, 0) / cast(1 - availability_objective as double) as availability_burn_rate,
        availability_window_days,
        cast(availability_window_requests as bigint) as availability_window_requests,
        cast(availability_window_errors as bigint) as availability_window_errors,
        1 - availability_window_errors / nullif(availability_window_requests, 0)
        / cast(1 - availability_objective as double) as availability_budget_remaining,

        latency_threshold_ms,
        latency_objective,
        cast(1 - latency_objective as decimal(9, 6)) as latency_error_budget,
        fast_requests / nullif(latency_requests, 0) as latency_sli,
        (latency_requests - fast_requests) / nullif(latency_requests, 0)
        / cast(1 - latency_objective as double) as latency_burn_rate,
        latency_window_days,
        cast(latency_window_requests as bigint) as latency_window_requests,
        cast(latency_window_slow_requests as bigint) as latency_window_slow_requests,
        1 - latency_window_slow_requests / nullif(latency_window_requests, 0)
        / cast(1 - latency_objective as double) as latency_budget_remaining

    from rolling
    where is_new

)

select * from final
