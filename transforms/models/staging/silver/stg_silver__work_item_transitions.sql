with

source as (

    select * from {{ source('silver', 'delivery') }}
    where record_type = 'work_item'

),

renamed as (

    select
        -- ids
        cast(event_id as varchar) as event_id,
        cast(tenant_id as varchar) as tenant_id,
        cast(work_item_id as varchar) as work_item_id,
        cast(parent_id as varchar) as parent_id,

        -- text
        cast(art as varchar) as art,
        cast(team as varchar) as team,
        cast(pi as varchar) as pi,
        cast(iteration as varchar) as iteration,
        cast(work_item_type as varchar) as work_item_type,
        cast(title as varchar) as title,
        cast(from_state as varchar) as from_state,
        cast(to_state as varchar) as to_state,

        -- numerics
        cast(story_points as double) as story_points,

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
