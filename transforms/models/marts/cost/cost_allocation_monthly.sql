-- The monthly cost showback statement, one row per tenant (and `unallocated`) and billing month, as
-- int_cost_allocated_to_tenant_months allocates it.
with

allocated as (

    select * from {{ ref('int_cost_allocated_to_tenant_months') }}

)

select
    tenant_id,
    month,
    {{ period_coverage_columns('month', 'month') }},
    billing_currency,
    allocated_billed_cost,
    direct_billed_cost,
    shared_billed_cost,
    unallocated_billed_cost,
    allocated_effective_cost,
    direct_effective_cost,
    shared_effective_cost,
    unallocated_effective_cost,
    allocated_list_cost,
    direct_list_cost,
    shared_list_cost,
    unallocated_list_cost,
    compute_units,
    compute_unit_share,
    requests,
    active_users,
    effective_cost_per_1k_requests,
    effective_cost_per_active_user,
    unallocated_reasons
from allocated
