-- One row per tenant x control x month, tested populations included: population 0 is reported as
-- `not_applicable` (tested, nothing to test), never as a missing row.
with

spine as (

    select * from {{ ref('int_tenant_control_months_enumerated') }}

),

results as (

    select * from {{ ref('int_compliance_results_unioned') }}

),

counted as (

    select
        spine.tenant_id,
        spine.control_id,
        spine.framework,
        spine.criterion,
        spine.control_title,
        spine.month,
        count(distinct results.population_item_id) as population,
        count(distinct results.population_item_id) filter (where results.exception_id is not null) as exceptions
    from spine
    left join results
        on spine.tenant_id = results.tenant_id
        and spine.control_id = results.control_id
        and spine.month = results.month
    group by all

)

select
    tenant_id,
    control_id,
    framework,
    criterion,
    control_title,
    month,
    {{ period_coverage_columns('month', 'month') }},
    population,
    exceptions,
    case
        when population = 0 then 'not_applicable'
        when exceptions > 0 then 'fail'
        else 'pass'
    end as status
from counted
