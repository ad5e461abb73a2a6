{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_date',
        on_schema_change='fail',
    )
}}
{#- Burn rates are evaluated at the end of every minute over the windows ending then; a burn rate only changes
    when a minute with traffic enters a window or leaves it, so evaluating at those minutes alone (the traffic
    minutes and 5, 30, 60, 360 and 4320 minutes after each) gives exactly the alerts of an every-minute
    evaluation. An evaluation depends only on the 3 days of minutes before it, so an incremental run rebuilds
    the latest built day and the `slo_lookback_days` (at least 1) days before it from the minute fact, reading 3
    more days for the windows. Rows are kept where usage was recorded (every day with traffic has rows, so
    delete+insert replaces each rebuilt day whole) and where an alert condition holds. -#}
{%- set lookback_days = var('slo_lookback_days') -%}

with

objectives as (

    select service, sli, objective, latency_threshold_ms
    from {{ ref('slo_objectives') }}

),

bounds as (

    select
        {%- if is_incremental() %}
        (select coalesce(max(event_date) - {{ lookback_days }}, date '1970-01-01') from {{ this }})
        {%- else %}
        date '1970-01-01'
        {%- endif %} as first_day,
        -- nothing is evaluated past the last minute of usage: a later evaluation would be made before its data
        (select max(minute) from {{ ref('int_usage_minutes_aggregated') }}) as last_minute

),

minutes as (

    select * from {{ ref('int_usage_minutes_aggregated') }}
    where event_date >= (select first_day - 3 from bounds)

),

sli_minutes as (

    select
        minutes.tenant_id,
        minutes.service,
        objectives.sli,
        objectives.objective,
        minutes.minute,
        case objectives.sli when 'availability' then minutes.requests else minutes.latency_requests end
            as valid_requests,
        case objectives.sli
            when 'availability' then minutes.errors
            else minutes.latency_requests - case objectives.latency_threshold_ms
                when 100 then minutes.latency_le_100ms
                when 300 then minutes.latency_le_300ms
                when 1000 then minutes.latency_le_1000ms
            end
        end as bad_requests

    from minutes
    inner join objectives on minutes.service = objectives.service

),

window_exits as (

    select distinct
        sli_minutes.tenant_id,
        sli_minutes.service,
        sli_minutes.sli,
        sli_minutes.objective,
        sli_minutes.minute + to_minutes(window_lengths.minutes) as minute

    from sli_minutes
    cross join (values (5), (30), (60), (360), (4320)) as window_lengths (minutes)

),

timeline as (

    select
        tenant_id,
        service,
        sli,
        objective,
        minute,
        bool_or(is_usage_minute) as is_usage_minute,
        cast(sum(valid_requests) as bigint) as valid_requests,
        cast(sum(bad_requests) as bigint) as bad_requests

    from (
        select tenant_id, service, sli, objective, minute, true as is_usage_minute, valid_requests, bad_requests
        from sli_minutes
        union all
        select tenant_id, service, sli, objective, minute, false, 0, 0
        from window_exits
    ) as points
    where minute <= (select last_minute from bounds)
    group by tenant_id, service, sli, objective, minute

),

windowed as (

    -- a window of n minutes ending with minute m holds minutes m - (n - 1) .. m
    select
        *,
        cast(sum(valid_requests) over w5m as bigint) as valid_5m,
        cast(sum(bad_requests) over w5m as bigint) as bad_5m,
        cast(sum(valid_requests) over w30m as bigint) as valid_30m,
        cast(sum(bad_requests) over w30m as bigint) as bad_30m,
        cast(sum(valid_requests) over w1h as bigint) as valid_1h,
        cast(sum(bad_requests) over w1h as bigint) as bad_1h,
        cast(sum(valid_requests) over w6h as bigint) as valid_6h,
        cast(sum(bad_requests) over w6h as bigint) as bad_6h,
        cast(sum(valid_requests) over w3d as bigint) as valid_3d,
        cast(sum(bad_requests) over w3d as bigint) as bad_3d,
        lead(minute) over (partition by tenant_id, service, sli order by minute) as next_minute

    from timeline
    window
        w5m as (
            partition by tenant_id, service, sli order by minute
            range between interval 4 minutes preceding and current row
        ),
        w30m as (
            partition by tenant_id, service, sli order by minute
            range between interval 29 minutes preceding and current row
        ),
        w1h as (
            partition by tenant_id, service, sli order by minute
            range between interval 59 minutes preceding and current row
        ),
        w6h as (
            partition by tenant_id, service, sli order by minute
            range between interval 359 minutes preceding and current row
        ),
        w3d as (
            partition by tenant_id, service, sli order by minute
            range between interval 4319 minutes preceding and current row
        )

),

evaluated as (

    -- "exceeds" is strict, and compared in exact decimals (bad > threshold * budget * valid) so that a burn
    -- rate of exactly 14.4 never pages through a rounding error; an empty window never exceeds
    select
        tenant_id,
        service,
        sli,
        objective,
        minute,
        minute + interval 1 minute as evaluated_at,
        cast(minute as date) as event_date,
        is_usage_minute,
        valid_requests,
        bad_requests,
        valid_1h,
        bad_1h,
        valid_6h,
        bad_6h,
        valid_3d,
        bad_3d,
        bad_5m / nullif(valid_5m, 0) / cast(1 - objective as double) as burn_rate_5m,
        bad_30m / nullif(valid_30m, 0) / cast(1 - objective as double) as burn_rate_30m,
        bad_1h / nullif(valid_1h, 0) / cast(1 - objective as double) as burn_rate_1h,
        bad_6h / nullif(valid_6h, 0) / cast(1 - objective as double) as burn_rate_6h,
        bad_3d / nullif(valid_3d, 0) / cast(1 - objective as double) as burn_rate_3d,
        bad_1h > {{ var('slo_page_1h_5m_burn_rate') }} * (1 - objective) * valid_1h
        and bad_5m > {{ var('slo_page_1h_5m_burn_rate') }} * (1 - objective) * valid_5m as is_page_1h_5m,
        bad_6h > {{ var('slo_page_6h_30m_burn_rate') }} * (1 - objective) * valid_6h
        and bad_30m > {{ var('slo_page_6h_30m_burn_rate') }} * (1 - objective) * valid_30m as is_page_6h_30m,
        bad_3d > {{ var('slo_ticket_3d_6h_burn_rate') }} * (1 - objective) * valid_3d
        and bad_6h > {{ var('slo_ticket_3d_6h_burn_rate') }} * (1 - objective) * valid_6h as is_ticket_3d_6h,
        next_minute + interval 1 minute as next_evaluated_at

    from windowed
    where minute >= (select cast(first_day as timestamptz) from bounds)

)

select * from evaluated
where is_usage_minute or is_page_1h_5m or is_page_6h_30m or is_ticket_3d_6h
