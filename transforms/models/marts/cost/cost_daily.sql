with

line_items as (

    select * from {{ ref('int_cost_line_items_classified') }}

),

usage_shares as (

    select
        tenant_id,
        month,
        compute_unit_share
    from {{ ref('int_usage_aggregated_to_tenant_months') }}
    where compute_unit_share > 0

),

own_cost as (

    select
        tenant_id,
        service_name,
        charge_date,
        billing_currency,
        allocation_class as cost_class,
        billed_cost,
        effective_cost,
        list_cost
    from line_items
    where allocation_class in ('direct', 'unallocated')

),

shared_pools as (

    select
        billing_month,
        service_name,
        charge_date,
        billing_currency,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(list_cost) as list_cost
    from line_items
    where allocation_class = 'shared'
    group by billing_month, service_name, charge_date, billing_currency

),

-- the day's shared cost split by the billing month's compute-unit shares (month to date for the open month);
-- a month without any compute leaves it unallocated. The shares are doubles: each split is taken back to an exact
-- decimal, so that the sums below stay decimal (a union with doubles would sum doubles, in whatever row order).
shared_cost as (

    select
        coalesce(usage_shares.tenant_id, 'unallocated') as tenant_id,
        shared_pools.service_name,
        shared_pools.charge_date,
        shared_pools.billing_currency,
        case when usage_shares.tenant_id is null then 'unallocated' else 'shared' end as cost_class,
        {{ as_exact_decimal('shared_pools.billed_cost * coalesce(usage_shares.compute_unit_share, 1)') }}
            as billed_cost,
        {{ as_exact_decimal('shared_pools.effective_cost * coalesce(usage_shares.compute_unit_share, 1)') }}
            as effective_cost,
        {{ as_exact_decimal('shared_pools.list_cost * coalesce(usage_shares.compute_unit_share, 1)') }}
            as list_cost
    from shared_pools
    left join usage_shares
        on shared_pools.billing_month = usage_shares.month

),

cost as (

    select * from own_cost
    union all
    select * from shared_cost

),

aggregated as (

    select
        tenant_id,
        service_name,
        charge_date as day,
        billing_currency,
{%- for measure in ['billed', 'effective'] %}
{%- for class in ['direct', 'shared', 'unallocated'] %}
        cast(
            coalesce(sum({{ measure }}_cost) filter (where cost_class = '{{ class }}'), 0) as decimal(18, 6)
        ) as {{ class }}_{{ measure }}_cost,
{%- endfor %}
{%- endfor %}
        cast(coalesce(sum(list_cost), 0) as decimal(18, 6)) as list_cost
    from cost
    group by tenant_id, service_name, charge_date, billing_currency

),

final as (

    select
        tenant_id,
        service_name,
        day,
        billing_currency,
        cast(direct_billed_cost + shared_billed_cost + unallocated_billed_cost as decimal(18, 6))
            as billed_cost,
        direct_billed_cost,
        shared_billed_cost,
        unallocated_billed_cost,
        cast(direct_effective_cost + shared_effective_cost + unallocated_effective_cost as decimal(18, 6))
            as effective_cost,
        direct_effective_cost,
        shared_effective_cost,
        unallocated_effective_cost,
        list_cost
    from aggregated

)

select * from final
