with

usage as (

    select * from {{ ref('stg_silver__usage_events') }}

),

audit as (

    select * from {{ ref('stg_silver__audit_events') }}

),

-- usage names users by pseudonym only; audit says which of them are service accounts (same keyed pseudonym). A
-- user id is the tenant's own, so another tenant's service account of that id says nothing about this one.
service_accounts as (

    select distinct tenant_id, actor_id as user_id
    from audit
    where actor_type = 'service'

),

usage_windows as (

    select
        usage.tenant_id,
        date_trunc('month', usage.occurred_at)::date as month,
        usage.event_date,
        usage.user_id,
        usage.requests,
        -- decimals make the sums exact and independent of summation order, so the shares are reproducible
        cast(coalesce(usage.compute_units, 0) as decimal(38, 6)) as compute_units,
        cast(coalesce(usage.quota_units, 0) as decimal(38, 6)) as quota_units,
        service_accounts.user_id is not null as is_service_account
    from usage
    left join service_accounts
        on usage.tenant_id = service_accounts.tenant_id
        and usage.user_id = service_accounts.user_id

),

aggregated as (

    select
        tenant_id,
        month,
        count(*) as usage_windows,
        count(distinct event_date) as days_with_usage,
        cast(coalesce(sum(requests), 0) as bigint) as requests,
        sum(compute_units) as compute_units,
        sum(quota_units) as quota_units_used,
        count(distinct user_id) filter (where requests > 0 and not is_service_account) as active_users,
        count(distinct user_id) filter (where requests > 0 and is_service_account) as active_service_accounts
    from usage_windows
    group by tenant_id, month

),

final as (

    select
        *,
        sum(compute_units) over (partition by month) as month_compute_units,
        -- no driver when the month has no compute at all: shared cost then stays unallocated
        case
            when sum(compute_units) over (partition by month) > 0
                then cast(compute_units as double) / cast(sum(compute_units) over (partition by month) as double)
        end as compute_unit_share
    from aggregated

)

select * from final
