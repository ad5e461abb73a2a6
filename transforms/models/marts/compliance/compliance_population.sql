-- One row per tested item, passed or failed: the complete population behind `compliance_controls.population`, as
-- auditors sample from it.
with

results as (

    select * from {{ ref('int_compliance_results_unioned') }}

)

select
    tenant_id,
    control_id,
    month,
    population_item_id,
    min(occurred_at) as occurred_at,
    case when count(exception_id) > 0 then 'fail' else 'pass' end as result,
    coalesce(
        list_sort(list_distinct(list(exception_type) filter (where exception_type is not null))),
        []::varchar[]
    ) as exception_types,
    coalesce(
        list_sort(list_distinct(flatten(list(evidence_event_ids) filter (where evidence_event_ids is not null)))),
        []::varchar[]
    ) as evidence_event_ids
from results
group by tenant_id, control_id, month, population_item_id
