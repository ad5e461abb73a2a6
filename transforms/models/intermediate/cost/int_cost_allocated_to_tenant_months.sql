{%- set measures = ['billed', 'effective', 'list'] -%}
{%- set components = ['direct', 'shared', 'unallocated'] -%}
-- The monthly cost showback of every tenant of a billed month: the invoice split over tenants to the cent (direct,
-- shared by compute-unit share, unallocated), the usage drivers and the unit economics. Published as is by the mart
-- cost_allocation_monthly; tenant_usage_monthly reads the tenants' rows from here (a mart does not read a mart).

with

line_items as (

    select * from {{ ref('int_cost_line_items_classified') }}

),

usage as (

    select * from {{ ref('int_usage_aggregated_to_tenant_months') }}

),

subscriptions as (

    select * from {{ ref('int_subscriptions_aggregated_to_tenant_months') }}

),

measures as (

    select * from (values ('billed'), ('effective'), ('list')) as measures (measure)

),

components as (

    select * from (values ('direct'), ('shared'), ('unallocated')) as components (component)

),

-- the invoice of the month, per currency: what the allocation has to add up to
month_totals as (

    select
        billing_month as month,
        billing_currency,
        coalesce(sum(billed_cost), 0) as billed_cost,
        coalesce(sum(effective_cost), 0) as effective_cost,
        coalesce(sum(list_cost), 0) as list_cost
    from line_items
    group by billing_month, billing_currency

),

-- every tenant of a billed month gets a row, even with no cost: tenants with direct cost, with usage or with
-- a subscription renewed that month, and the explicit `unallocated` bucket
tenant_months as (

    select billing_month as month, tenant_id from line_items where allocation_class = 'direct'
    union
    select month, tenant_id from usage
    union
    select month, tenant_id from subscriptions
    union
    select month, 'unallocated' as tenant_id from month_totals

),

tenant_month_currencies as (

    select
        month_totals.month,
        month_totals.billing_currency,
        tenant_months.tenant_id
    from month_totals
    inner join tenant_months
        on month_totals.month = tenant_months.month

),

own_cost as (

    select
        billing_month as month,
        billing_currency,
        tenant_id,
        allocation_class as component,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(list_cost) as list_cost
    from line_items
    where allocation_class in ('direct', 'unallocated')
    group by billing_month, billing_currency, tenant_id, allocation_class

),

shared_pools as (

    select
        billing_month as month,
        billing_currency,
        sum(billed_cost) as billed_cost,
        sum(effective_cost) as effective_cost,
        sum(list_cost) as list_cost
    from line_items
    where allocation_class = 'shared'
    group by billing_month, billing_currency

),

-- shared cost follows the month's compute units; a month without compute leaves it unallocated
shared_cost as (

    select
        shared_pools.month,
        shared_pools.billing_currency,
        coalesce(usage.tenant_id, 'unallocated') as tenant_id,
        case when usage.tenant_id is null then 'unallocated' else 'shared' end as component,
        shared_pools.billed_cost * coalesce(usage.compute_unit_share, 1) as billed_cost,
        shared_pools.effective_cost * coalesce(usage.compute_unit_share, 1) as effective_cost,
        shared_pools.list_cost * coalesce(usage.compute_unit_share, 1) as list_cost
    from shared_pools
    left join usage
        on shared_pools.month = usage.month
        and usage.compute_unit_share > 0

),

cost as (

    select * from own_cost
    union all
    select * from shared_cost

),

exact_cents as (

    select
        tenant_month_currencies.month,
        tenant_month_currencies.billing_currency,
        tenant_month_currencies.tenant_id,
        measures.measure,
        components.component,
        -- rounded to a millionth of a cent so that float noise cannot decide who gets a cent
        round(
            coalesce(
                sum(
                    case measures.measure
                        when 'billed' then cost.billed_cost
                        when 'effective' then cost.effective_cost
                        else cost.list_cost
                    end
                ),
                0
            ) * 100,
            6
        ) as exact_cents
    from tenant_month_currencies
    cross join measures
    cross join components
    left join cost
        on tenant_month_currencies.month = cost.month
        and tenant_month_currencies.billing_currency = cost.billing_currency
        and tenant_month_currencies.tenant_id = cost.tenant_id
        and components.component = cost.component
    group by
        tenant_month_currencies.month,
        tenant_month_currencies.billing_currency,
        tenant_month_currencies.tenant_id,
        measures.measure,
        components.component

),

month_target_cents as (

    select
        month_totals.month,
        month_totals.billing_currency,
        measures.measure,
        cast(
            round(
                case measures.measure
                    when 'billed' then month_totals.billed_cost
                    when 'effective' then month_totals.effective_cost
                    else month_totals.list_cost
                end,
                2
            ) * 100 as bigint
        ) as target_cents
    from month_totals
    cross join measures

),

-- largest remainder, pass 1: each tenant's total gets its whole cents, and the cents still missing from the
-- month's rounded invoice total go one each to the largest fractions (ties: tenant id). The missing cents are
-- between 0 and the number of tenants, since the floors lose less than one cent each and the target is the
-- exact total rounded.
tenant_exact_cents as (

    select
        month,
        billing_currency,
        tenant_id,
        measure,
        sum(exact_cents) as exact_cents
    from exact_cents
    group by month, billing_currency, tenant_id, measure

),

tenant_cents_ranked as (

    select
        tenant_exact_cents.*,
        floor(tenant_exact_cents.exact_cents) as floor_cents,
        month_target_cents.target_cents - sum(floor(tenant_exact_cents.exact_cents)) over (
            partition by tenant_exact_cents.month, tenant_exact_cents.billing_currency, tenant_exact_cents.measure
        ) as cents_left,
        row_number() over (
            partition by tenant_exact_cents.month, tenant_exact_cents.billing_currency, tenant_exact_cents.measure
            order by
                tenant_exact_cents.exact_cents - floor(tenant_exact_cents.exact_cents) desc,
                tenant_exact_cents.tenant_id
        ) as remainder_rank
    from tenant_exact_cents
    inner join month_target_cents
        on tenant_exact_cents.month = month_target_cents.month
        and tenant_exact_cents.billing_currency = month_target_cents.billing_currency
        and tenant_exact_cents.measure = month_target_cents.measure

),

tenant_cents as (

    select
        month,
        billing_currency,
        tenant_id,
        measure,
        cast(floor_cents + case when remainder_rank <= cents_left then 1 else 0 end as bigint) as total_cents
    from tenant_cents_ranked

),

-- largest remainder, pass 2: the same within a tenant, so that direct + shared + unallocated is its total
component_cents_ranked as (

    select
        exact_cents.*,
        floor(exact_cents.exact_cents) as floor_cents,
        tenant_cents.total_cents - sum(floor(exact_cents.exact_cents)) over (
            partition by exact_cents.month, exact_cents.billing_currency, exact_cents.tenant_id, exact_cents.measure
        ) as cents_left,
        row_number() over (
            partition by exact_cents.month, exact_cents.billing_currency, exact_cents.tenant_id, exact_cents.measure
            order by exact_cents.exact_cents - floor(exact_cents.exact_cents) desc, exact_cents.component
        ) as remainder_rank
    from exact_cents
    inner join tenant_cents
        on exact_cents.month = tenant_cents.month
        and exact_cents.billing_currency = tenant_cents.billing_currency
        and exact_cents.tenant_id = tenant_cents.tenant_id
        and exact_cents.measure = tenant_cents.measure

),

component_cents as (

    select
        month,
        billing_currency,
        tenant_id,
        measure,
        component,
        cast(floor_cents + case when remainder_rank <= cents_left then 1 else 0 end as bigint) as cents
    from component_cents_ranked

),

amounts as (

    select
{%- for measure in measures %}
{%- for component in components %}
        cast(sum(cents) filter (where measure = '{{ measure }}' and component = '{{ component }}') / 100.0
            as decimal(18, 2)) as {{ component }}_{{ measure }}_cost,
{%- endfor %}
        cast(sum(cents) filter (where measure = '{{ measure }}') / 100.0 as decimal(18, 2))
            as allocated_{{ measure }}_cost,
{%- endfor %}
        month,
        billing_currency,
        tenant_id
    from component_cents
    group by month, billing_currency, tenant_id

),

month_usage as (

    select distinct
        month,
        month_compute_units
    from usage

),

unallocated_reason_rows as (

    select billing_month as month, billing_currency, unallocated_reason as reason
    from line_items
    where allocation_class = 'unallocated'
    union
    select month, billing_currency, 'no_usage_driver' as reason
    from shared_cost
    where component = 'unallocated'

),

unallocated_reasons as (

    select
        month,
        billing_currency,
        string_agg(reason, ', ' order by reason) as unallocated_reasons
    from unallocated_reason_rows
    group by month, billing_currency

),

final as (

    select
        amounts.tenant_id,
        amounts.month,
        amounts.billing_currency,
        {%- for measure in measures %}
        amounts.allocated_{{ measure }}_cost,
        amounts.direct_{{ measure }}_cost,
        amounts.shared_{{ measure }}_cost,
        amounts.unallocated_{{ measure }}_cost,
        {%- endfor %}
        case
            when amounts.tenant_id <> 'unallocated' then cast(coalesce(usage.compute_units, 0) as decimal(18, 6))
        end as compute_units,
        case
            when amounts.tenant_id <> 'unallocated' and month_usage.month_compute_units > 0
                then coalesce(usage.compute_unit_share, 0)
        end as compute_unit_share,
        case when amounts.tenant_id <> 'unallocated' then coalesce(usage.requests, 0) end as requests,
        case when amounts.tenant_id <> 'unallocated' then coalesce(usage.active_users, 0) end as active_users,
        -- unit economics on amortised cost, so that a commitment purchase does not spike its month
        case
            when usage.requests > 0
                then cast(amounts.allocated_effective_cost * 1000 / usage.requests as decimal(18, 6))
        end as effective_cost_per_1k_requests,
        case
            when usage.active_users > 0
                then cast(amounts.allocated_effective_cost / usage.active_users as decimal(18, 6))
        end as effective_cost_per_active_user,
        case when amounts.tenant_id = 'unallocated' then unallocated_reasons.unallocated_reasons end
            as unallocated_reasons
    from amounts
    left join usage
        on amounts.tenant_id = usage.tenant_id
        and amounts.month = usage.month
    left join month_usage
        on amounts.month = month_usage.month
    left join unallocated_reasons
        on amounts.month = unallocated_reasons.month
        and amounts.billing_currency = unallocated_reasons.billing_currency

)

select * from final
