with

source as (

    select * from {{ source('silver', 'audit') }}

),

renamed as (

    select
        -- ids
        cast(event_id as varchar) as event_id,
        cast(tenant_id as varchar) as tenant_id,
        cast(actor_id as varchar) as actor_id,
        cast(resource_id as varchar) as resource_id,
        cast(target_user_id as varchar) as target_user_id,
        cast(approval_id as varchar) as approval_id,
        cast(approver_id as varchar) as approver_id,
        cast(session_id as varchar) as session_id,

        -- text
        cast(actor_email as varchar) as actor_email,
        cast(actor_name as varchar) as actor_name,
        cast(actor_type as varchar) as actor_type,
        cast(action as varchar) as action,
        cast(resource_type as varchar) as resource_type,
        cast(outcome as varchar) as outcome,
        cast(source_ip as varchar) as source_ip,
        cast(user_agent as varchar) as user_agent,
        cast(role as varchar) as role,
        cast(message as varchar) as message,
        -- lakes ingested before the plan and quota were contract fields hold them in `_extra` (key `quota_units`)
        nullif(lower(trim(coalesce(cast(plan as varchar), cast(_extra as json) ->> 'plan'))), '') as plan,

        -- numerics
        coalesce(
            cast(monthly_quota_units as bigint), try_cast(cast(_extra as json) ->> 'quota_units' as bigint)
        ) as monthly_quota_units,

        -- booleans
        cast(mfa_used as boolean) as is_mfa_used,
        cast(privileged as boolean) as is_privileged,

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
