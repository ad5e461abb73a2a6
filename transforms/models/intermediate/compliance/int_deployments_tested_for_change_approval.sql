-- SOC 2 CC8.1: every change reaching production was approved, before its merge, by someone other than its author
-- (int_pull_requests_rolled_up.is_independently_approved). The population is the successful production
-- deployments that shipped at least one pull request: a failed deployment changed nothing (its pull requests are
-- tested with the next successful one) and a redeploy or rollback ships no new change. A shipped pull request with
-- no events in the lake cannot be shown to be approved, which is an exception of its own type.
-- One row per deployment that passed, and one per (deployment, pull request) exception.
with

deployments as (

    select * from {{ ref('stg_silver__deployments') }}

),

shipped as (

    select * from {{ ref('int_deployments_joined_to_pull_requests') }}

),

pull_requests as (

    select * from {{ ref('int_pull_requests_rolled_up') }}

),

deployment_events as (

    select
        tenant_id,
        deployment_id,
        min(event_id) as deployment_event_id
    from deployments
    group by tenant_id, deployment_id

),

production as (

    select distinct
        tenant_id,
        deployment_id,
        finished_at,
        pr_id
    from shipped
    where environment = 'production'
        and deployment_status = 'success'

),

tested as (

    select
        production.tenant_id,
        production.deployment_id,
        production.finished_at,
        production.pr_id,
        deployment_events.deployment_event_id,
        pull_requests.pr_id is not null as is_pr_found,
        coalesce(pull_requests.is_independently_approved, false) as is_independently_approved,
        pull_requests.author_id,
        pull_requests.merged_event_id,
        pull_requests.independent_approval_event_id
    from production
    left join deployment_events
        on production.tenant_id = deployment_events.tenant_id
        and production.deployment_id = deployment_events.deployment_id
    left join pull_requests
        on production.tenant_id = pull_requests.tenant_id
        and production.pr_id = pull_requests.pr_id

),

exceptions as (

    select
        tenant_id,
        'CC8.1-CHANGE-APPROVAL' as control_id,
        date_trunc('month', finished_at)::date as month,
        deployment_id as population_item_id,
        finished_at as occurred_at,
        case
            when is_pr_found then 'pr_not_independently_approved' else 'pr_not_in_lake'
        end as exception_type,
        pr_id,
        author_id as actor_id,
        case
            when is_pr_found
                then 'Pull request ' || pr_id || ' merged without an approval by someone other than its author'
            else 'Pull request ' || pr_id || ' has no events in the lake: no approval can be evidenced'
        end as detail,
        list_filter([deployment_event_id, merged_event_id], lambda x: x is not null) as evidence_event_ids
    from tested
    where not is_independently_approved

),

passed as (

    select
        tenant_id,
        'CC8.1-CHANGE-APPROVAL' as control_id,
        date_trunc('month', finished_at)::date as month,
        deployment_id as population_item_id,
        finished_at as occurred_at,
        list_filter(
            [any_value(deployment_event_id)]
            || list(independent_approval_event_id order by independent_approval_event_id),
            lambda x: x is not null
        ) as evidence_event_ids
    from tested
    group by tenant_id, deployment_id, finished_at
    having bool_and(is_independently_approved)

)

select
    {{- compliance_result_columns(
        population_cte=none,
        exceptions_cte=none,
        exception_id="control_id || ':' || population_item_id || ':' || exception_type || ':' || pr_id",
        actor_id='actor_id'
    ) }}
from exceptions

union all

select
    {{- compliance_result_columns(
        population_cte=none,
        exceptions_cte=none,
        exception_id='cast(null as varchar)',
        exception_type='cast(null as varchar)',
        detail='cast(null as varchar)'
    ) }}
from passed
