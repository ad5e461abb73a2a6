with

source as (

    select * from {{ source('silver', 'delivery') }}
    where record_type = 'pi_objective'

),

renamed as (

    select
        -- ids
        cast(event_id as varchar) as event_id,
        cast(tenant_id as varchar) as tenant_id,
        cast(objective_id as varchar) as objective_id,

        -- text
        cast(art as varchar) as art,
        cast(team as varchar) as team,
        cast(pi as varchar) as pi,
        cast(iteration as varchar) as iteration,

        -- numerics
        cast(planned_business_value as bigint) as planned_business_value,
        cast(actual_business_value as bigint) as actual_business_value,

        -- booleans
        cast(committed as boolean) as is_committed,

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
