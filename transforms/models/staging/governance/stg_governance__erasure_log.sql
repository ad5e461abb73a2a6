with

source as (

    select * from {{ source('governance', 'erasure_log') }}

),

renamed as (

    select
        -- ids
        cast(subject_key as varchar) as subject_key,

        -- numerics
        cast(identities as bigint) as identities,
        cast(rows_deleted as bigint) as rows_deleted,
        cast(rows_redacted as bigint) as rows_redacted,
        cast(files_rewritten as bigint) as files_rewritten,
        cast(files_vacuumed as bigint) as files_vacuumed,

        -- json
        cast(tables as json) as tables,

        -- timestamps
        cast(requested_at as timestamptz) as requested_at,
        cast(erased_at as timestamptz) as erased_at

    from source

)

select * from renamed
