with

audit as (

    select * from {{ ref('stg_silver__audit_events') }}

),

-- the plan and quota are the renewal's own fields, never parsed from its message: masking may rewrite free text
renewals as (

    select
        tenant_id,
        date_trunc('month', occurred_at)::date as month,
        plan,
        monthly_quota_units,
        event_id as renewal_event_id,
        occurred_at as renewed_at
    from audit
    where action = 'subscription.renew'
        and outcome = 'success'
    qualify row_number() over (
        partition by tenant_id, date_trunc('month', occurred_at) order by occurred_at desc, event_id desc
    ) = 1

)

select * from renewals
