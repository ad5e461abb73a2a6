with

source as (

    select * from {{ source('silver', 'delivery') }}
    where record_type = 'pull_request'

),

renamed as (

    select
        -- ids
        cast(event_id as varchar) as event_id,
        cast(tenant_id as varchar) as tenant_id,
        cast(pr_id as varchar) as pr_id,
        cast(author_id as varchar) as author_id,
        cast(reviewer_id as varchar) as reviewer_id,

        -- text
        cast(art as varchar) as art,
        cast(team as varchar) as team,
        cast(pi as varchar) as pi,
        cast(iteration as varchar) as iteration,
        cast(repository as varchar) as repository,
        cast(branch as varchar) as branch,
        cast(pr_action as varchar) as pr_action,
        cast(title as varchar) as title,
        cast(body as varchar) as body,
        cast(author_email as varchar) as author_email,
        cast(merge_commit_sha as varchar) as merge_commit_sha,

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
