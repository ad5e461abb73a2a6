-- Showback must not create or lose a cent: per billing month and currency, the allocated BilledCost,
-- EffectiveCost and ListCost summed over all tenants (incl. `unallocated`) equal the sums of the month's FOCUS
-- line items, rounded to the cent. Returns the months that do not reconcile. In Dagster, a check of the mart.

{{ config(meta={'dagster': {'ref': {'name': 'cost_allocation_monthly'}}}) }}

with

bill as (

    select
        date_trunc('month', coalesce(billing_period_start, charge_period_start))::date as month,
        billing_currency,
        round(sum(cast(billed_cost as decimal(38, 10))), 2) as billed_cost,
        round(coalesce(sum(cast(effective_cost as decimal(38, 10))), 0), 2) as effective_cost,
        round(coalesce(sum(cast(list_cost as decimal(38, 10))), 0), 2) as list_cost
    from {{ ref('stg_silver__cost_line_items') }}
    group by 1, 2

),

allocated as (

    select
        month,
        billing_currency,
        sum(allocated_billed_cost) as billed_cost,
        sum(allocated_effective_cost) as effective_cost,
        sum(allocated_list_cost) as list_cost
    from {{ ref('cost_allocation_monthly') }}
    group by 1, 2

)

select
    coalesce(bill.month, allocated.month) as month,
    coalesce(bill.billing_currency, allocated.billing_currency) as billing_currency,
    bill.billed_cost as bill_billed_cost,
    allocated.billed_cost as allocated_billed_cost,
    bill.effective_cost as bill_effective_cost,
    allocated.effective_cost as allocated_effective_cost,
    bill.list_cost as bill_list_cost,
    allocated.list_cost as allocated_list_cost
from bill
full outer join allocated
    on bill.month = allocated.month
    and bill.billing_currency = allocated.billing_currency
where bill.billed_cost is distinct from allocated.billed_cost
    or bill.effective_cost is distinct from allocated.effective_cost
    or bill.list_cost is distinct from allocated.list_cost
