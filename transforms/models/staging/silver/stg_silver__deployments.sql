with

source as (

    select * from {{ source('silver', 'delivery') }}
    where record_type = 'deployment'

),

renamed as (

    select
        -- ids
        cast(event_id as varchar) as event_id,
        cast(tenant_id as varchar) as tenant_id,
        cast(deployment_id as varchar) as deployment_id,

        -- text
        cast(art as varchar) as art,
        cast(team as varchar) as team,
        cast(pi as varchar) as pi,
        cast(iteration as varchar) as iteration,
        cast(repository as varchar) as repository,
        cast(service as varchar) as service,
        cast(environment as varchar) as environment,
        cast(deployment_status as varchar) as deployment_status,

        -- json
        cast(pr_ids as json) as pr_ids,

        -- timestamps
        cast(occurred_at as timestamptz) as occurred_at,
        cast(started_at as timestamptz) as started_at,

        -- lineage
        cast(event_date as date) as event_date,
        cast(_source_file as varchar) as _source_file,
        cast(_line as bigint) as _line,
        cast(_ingested_at as timestamptz) as _ingested_at,
        cast(_extra as json) as _extra

    from source

)

select * from renamed
