with

usage as (

    select * from {{ ref('int_usage_aggregated_to_tenant_months') }}

),

subscriptions as (

    select * from {{ ref('int_subscriptions_aggregated_to_tenant_months') }}

),

-- the tenant's row of the cost allocation (the one cost_allocation_monthly publishes); `unallocated` is the bill's
-- remainder, not a tenant: it stays in cost_allocation_monthly
cost as (

    select * from {{ ref('int_cost_allocated_to_tenant_months') }}
    where tenant_id <> 'unallocated'

),

tenant_months as (

    select tenant_id, month from usage
    union
    select tenant_id, month from subscriptions
    union
    select tenant_id, month from cost

),

final as (

    select
        tenant_months.tenant_id,
        tenant_months.month,
        {{ period_coverage_columns('tenant_months.month', 'month') }},
        subscriptions.plan,
        subscriptions.monthly_quota_units,
        coalesce(usage.active_users, 0) as active_users,
        coalesce(usage.active_service_accounts, 0) as active_service_accounts,
        coalesce(usage.requests, 0) as requests,
        cast(coalesce(usage.compute_units, 0) as decimal(18, 6)) as compute_units,
        cast(coalesce(usage.quota_units_used, 0) as decimal(18, 6)) as quota_units_used,
        case
            when subscriptions.monthly_quota_units > 0
                then cast(coalesce(usage.quota_units_used, 0) / subscriptions.monthly_quota_units as double)
        end as quota_used_ratio,
        coalesce(usage.quota_units_used, 0) > subscriptions.monthly_quota_units as is_over_quota,
        coalesce(usage.days_with_usage, 0) as days_with_usage,
        cost.billing_currency,
        cost.allocated_billed_cost,
        cost.allocated_effective_cost,
        cost.effective_cost_per_1k_requests,
        cost.effective_cost_per_active_user
    from tenant_months
    left join usage
        on tenant_months.tenant_id = usage.tenant_id
        and tenant_months.month = usage.month
    left join subscriptions
        on tenant_months.tenant_id = subscriptions.tenant_id
        and tenant_months.month = subscriptions.month
    left join cost
        on tenant_months.tenant_id = cost.tenant_id
        and tenant_months.month = cost.month

)

select * from final
