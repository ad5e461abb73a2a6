-- SOC 2 CC6.3: a privileged role grant needs an approval by someone other than the grantor and the grantee. An
-- approval by the grantor (approver_id = actor_id) or by the grantee is no approval. Pseudonyms come from one key,
-- so equal ids are the same person. One row per tested grant and exception; `exception_type` null when it passed.
with

audit_events as (

    select * from {{ ref('stg_silver__audit_events') }}

),

grants as (

    select *
    from audit_events
    where action = 'iam.role.grant'
        and is_privileged
        and outcome = 'success'

),

population as (

    select
        tenant_id,
        'CC6.3-PRIVILEGED-GRANT' as control_id,
        date_trunc('month', occurred_at)::date as month,
        event_id as population_item_id,
        occurred_at,
        actor_id,
        target_user_id,
        role,
        approval_id,
        approver_id,
        [event_id] as evidence_event_ids
    from grants

),

exceptions as (

    select
        tenant_id,
        population_item_id,
        'no_approval' as exception_type,
        'Privileged role ' || coalesce(role, '?') || ' granted without '
        || case when approval_id is null then 'an approval' else 'an approver on approval ' || approval_id end
            as detail
    from population
    where approval_id is null or approver_id is null

    union all

    select
        tenant_id,
        population_item_id,
        'self_approved' as exception_type,
        'Privileged role ' || coalesce(role, '?') || ' grant approved ('
        || approval_id || ') by the '
        || case when approver_id = actor_id then 'grantor' else 'grantee' end || ' themself' as detail
    from population
    where approval_id is not null
        and approver_id is not null
        and (approver_id = actor_id or approver_id = target_user_id)

)

select
    {{- compliance_result_columns(actor_id='population.actor_id', target_user_id='population.target_user_id') }}
from population
left join exceptions
    on population.tenant_id = exceptions.tenant_id
    and population.population_item_id = exceptions.population_item_id
