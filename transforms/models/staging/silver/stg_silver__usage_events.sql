with

source as (

    select * from {{ source('silver', 'usage') }}

),

renamed as (

    select
        -- ids
        cast(event_id as varchar) as event_id,
        cast(tenant_id as varchar) as tenant_id,
        cast(user_id as varchar) as user_id,

        -- text
        cast(service as varchar) as service,
        cast(feature as varchar) as feature,
        cast(region as varchar) as region,

        -- numerics
        cast(window_seconds as bigint) as window_seconds,
        cast(requests as bigint) as requests,
        cast(errors as bigint) as errors,
        cast(latency_le_100ms as bigint) as latency_le_100ms,
        cast(latency_le_300ms as bigint) as latency_le_300ms,
        cast(latency_le_1000ms as bigint) as latency_le_1000ms,
        cast(latency_ms_p50 as double) as latency_ms_p50,
        cast(latency_ms_p95 as double) as latency_ms_p95,
        cast(compute_units as double) as compute_units,
        cast(bytes_out as bigint) as bytes_out,
        cast(quota_units as double) as quota_units,

        -- timestamps
        cast(occurred_at as timestamptz) as occurred_at,

        -- lineage
        cast(event_date as date) as event_date,
        cast(_source_file as varchar) as _source_file,
        cast(_line as bigint) as _line,
        cast(_ingested_at as timestamptz) as _ingested_at,
        cast(_extra as json) as _extra

    from source

)

select * from renamed
