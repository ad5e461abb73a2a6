-- One row per exception: the tested item, why it failed, who it concerns (pseudonymous) and the evidence events.
with

results as (

    select * from {{ ref('int_compliance_results_unioned') }}

)

select
    exception_id,
    tenant_id,
    control_id,
    month,
    exception_type,
    population_item_id,
    occurred_at,
    actor_id,
    target_user_id,
    measured_value,
    threshold_value,
    detail,
    evidence_event_ids
from results
where exception_id is not null
