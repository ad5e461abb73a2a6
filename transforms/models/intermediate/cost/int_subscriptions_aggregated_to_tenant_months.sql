with

audit as (

    select * from {{ ref('stg_silver__audit_events') }}

),

renewals as (

    select
        tenant_id,
        event_id,
        occurred_at,
        date_trunc('month', occurred_at)::date as month,
        nullif(lower(trim(_extra ->> 'plan')), '') as plan_field,
        try_cast(_extra ->> 'quota_units' as bigint) as quota_field,
        message
    from audit
    where action = 'subscription.renew'
        and outcome = 'success'

),

-- structured fields, when the source sends them, beat parsing free text; otherwise the message ("Business
-- plan active for <name>: quota 63,000 units per month") is parsed: masking may replace the name, not the number
parsed as (

    select
        tenant_id,
        event_id,
        occurred_at,
        month,
        coalesce(plan_field, lower(nullif(regexp_extract(message, '^(\w+) plan active', 1), ''))) as plan,
        coalesce(
            quota_field,
            try_cast(
                replace(nullif(regexp_extract(message, 'quota ([0-9,]+) units per month', 1), ''), ',', '')
                as bigint
            )
        ) as monthly_quota_units,
        quota_field
    from renewals

),

final as (

    select
        tenant_id,
        month,
        plan,
        monthly_quota_units,
        case
            when quota_field is not null then 'field'
            when monthly_quota_units is not null then 'message'
        end as quota_source,
        event_id as renewal_event_id,
        occurred_at as renewed_at
    from parsed
    qualify row_number() over (partition by tenant_id, month order by occurred_at desc, event_id desc) = 1

)

select * from final
