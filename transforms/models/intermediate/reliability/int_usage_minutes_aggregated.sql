{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_date',
        on_schema_change='fail',
    )
}}
{#- Usage is the largest table: an incremental run rebuilds only the latest day already built and the
    `slo_lookback_days` days before it (late windows of those days are then counted), so a new day costs a day's
    work. Days older than that are frozen; a restatement of them needs `--full-refresh`.
    `slo_usage_before` (a timestamp) leaves out usage from that instant on: it replays the lake as it was at an
    earlier time, which is how the incremental build is tested against a full refresh. -#}
{%- set lookback_days = var('slo_lookback_days') -%}
{%- set usage_before = var('slo_usage_before', none) -%}

with

usage_events as (

    select * from {{ ref('stg_silver__usage_events') }}
    where true
    {%- if usage_before %}
        and occurred_at < timestamptz '{{ usage_before }}'
    {%- endif %}
    {%- if is_incremental() %}
        and event_date >= (
            select coalesce(max(event_date) - {{ lookback_days }}, date '1970-01-01') from {{ this }}
        )
    {%- endif %}

),

aggregated as (

    -- a usage window is counted whole in the minute it starts (all windows are one minute long today)
    select
        tenant_id,
        service,
        date_trunc('minute', occurred_at) as minute,
        event_date,
        count(*) as usage_windows,
        sum(requests) as requests,
        sum(errors) as errors,
        -- a window without a latency histogram can say nothing about latency: it is left out of the latency
        -- SLI's valid requests rather than counted slow
        coalesce(sum(requests) filter (where latency_le_1000ms is not null), 0) as latency_requests,
        coalesce(sum(latency_le_100ms) filter (where latency_le_1000ms is not null), 0) as latency_le_100ms,
        coalesce(sum(latency_le_300ms) filter (where latency_le_1000ms is not null), 0) as latency_le_300ms,
        coalesce(sum(latency_le_1000ms), 0) as latency_le_1000ms

    from usage_events
    group by tenant_id, service, date_trunc('minute', occurred_at), event_date

)

select * from aggregated
