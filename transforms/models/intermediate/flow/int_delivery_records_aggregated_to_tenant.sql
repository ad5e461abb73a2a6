-- The days each tenant's delivery feed covers, from its first to its last record of any type. Work items
-- in flight when the feed begins are known only from their first move, so their earlier state is dated from
-- the start of coverage; daily flow load is counted only on covered days. Every delivery record type counts:
-- a quiet weekend at the end still lies inside the feed when deployments keep arriving.
with

delivery_records as (

    select tenant_id, occurred_at from {{ ref('stg_silver__work_item_transitions') }}
    union all
    select tenant_id, occurred_at from {{ ref('stg_silver__pull_request_events') }}
    union all
    select tenant_id, occurred_at from {{ ref('stg_silver__deployments') }}
    union all
    select tenant_id, occurred_at from {{ ref('stg_silver__pi_objectives') }}
    union all
    select tenant_id, occurred_at from {{ ref('stg_silver__pushes') }}

),

aggregated as (

    select
        tenant_id,
        min(occurred_at) as first_record_at,
        max(occurred_at) as last_record_at

    from delivery_records
    group by tenant_id

)

select
    tenant_id,
    first_record_at,
    last_record_at,
    cast(first_record_at as date) as covered_from,
    cast(last_record_at as date) as covered_to,
    cast(cast(first_record_at as date) as timestamptz) as covered_from_at
from aggregated
