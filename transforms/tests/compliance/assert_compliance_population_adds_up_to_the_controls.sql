{{ config(meta={'dagster': {'ref': {'name': 'compliance_population'}}}) }}
-- Attached to compliance_population as its Dagster asset check (the test reads the controls too).
-- Every control row's population and exceptions are the count of its items and of its failed items in
-- compliance_population: the population an auditor samples is the one the figure counts.
with

items as (

    select
        tenant_id,
        control_id,
        month,
        count(*) as population,
        count(*) filter (where result = 'fail') as exceptions
    from {{ ref('compliance_population') }}
    group by all

)

select controls.*
from {{ ref('compliance_controls') }} as controls
left join items using (tenant_id, control_id, month)
where controls.population <> coalesce(items.population, 0)
    or controls.exceptions <> coalesce(items.exceptions, 0)
