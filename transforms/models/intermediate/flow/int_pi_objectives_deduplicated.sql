-- One row per PI objective: its latest record. Objectives are recorded at PI planning (planned business value)
-- and again when the business owners score them at the end of the PI (with actual business value); the latest
-- record is the objective's current truth, so a re-scored or re-planned objective counts once, as last stated.
with

objective_records as (

    select * from {{ ref('stg_silver__pi_objectives') }}

),

ranked as (

    select
        *,
        row_number() over (
            partition by tenant_id, objective_id
            order by occurred_at desc, _ingested_at desc, event_id desc
        ) as recency_rank,
        count(*) over (partition by tenant_id, objective_id) as records,
        min(occurred_at) over (partition by tenant_id, objective_id) as first_recorded_at

    from objective_records

)

select
    tenant_id,
    objective_id,
    art,
    team,
    pi,
    is_committed,
    planned_business_value,
    actual_business_value,
    actual_business_value is not null as is_scored,
    records,
    first_recorded_at,
    occurred_at as last_recorded_at,
    event_id as last_event_id
from ranked
where recency_rank = 1
