with

source as (

    select * from {{ source('silver', 'delivery') }}
    where record_type = 'push'

),

renamed as (

    select
        -- ids
        cast(event_id as varchar) as event_id,
        cast(tenant_id as varchar) as tenant_id,

        -- text
        cast(repository as varchar) as repository,
        cast(branch as varchar) as branch,

        -- json
        cast(commits as json) as commits,

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
