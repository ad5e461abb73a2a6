with

source as (

    select * from {{ source('silver', 'incident') }}

),

renamed as (

    select
        -- ids
        cast(event_id as varchar) as event_id,
        cast(tenant_id as varchar) as tenant_id,
        cast(incident_id as varchar) as incident_id,
        cast(responder_id as varchar) as responder_id,
        cast(caused_by_deployment_id as varchar) as caused_by_deployment_id,

        -- text
        cast(status as varchar) as status,
        cast(severity as varchar) as severity,
        cast(service as varchar) as service,
        cast(title as varchar) as title,
        cast(summary as varchar) as summary,
        cast(responder_email as varchar) as responder_email,
        cast(source as varchar) as source,

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
