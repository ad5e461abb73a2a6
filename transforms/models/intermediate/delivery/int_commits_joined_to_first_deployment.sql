-- One row per merged commit that reached production: the first SUCCESSFUL production deployment that shipped
-- its pull request and the lead time for the change (that deployment's finish minus the commit time).
-- A pull request can ride in several production deployments (a failed attempt, then the retry that succeeded):
-- failed attempts changed nothing for good, so only successful ones count, and the earliest of them wins.
-- Commits are keyed by (pull request, position in its merged commit list), not by sha: the silver PII masking
-- turns some shas into placeholders such as `<PERSON>`, so shas are not unique.
with

pull_requests as (

    select * from {{ ref('int_pull_requests_rolled_up') }}
    -- PRs merged before the data starts have no merge event, hence no commits: nothing to measure
    where commits is not null

),

shipped as (

    select * from {{ ref('int_deployments_joined_to_pull_requests') }}
    where environment = 'production' and deployment_status = 'success'

),

commits as (

    select
        pull_requests.tenant_id,
        pull_requests.pr_id,
        listed.commit_index,
        listed.commit_entry.sha as commit_sha,
        cast(listed.commit_entry.committed_at as timestamptz) as committed_at
    from pull_requests
    cross join unnest(
        from_json(pull_requests.commits, '[{"sha": "VARCHAR", "committed_at": "VARCHAR"}]')
    ) with ordinality as listed (commit_entry, commit_index)

),

ranked as (

    select
        tenant_id,
        pr_id,
        deployment_id,
        team,
        service,
        finished_at,
        -- deployment_id breaks ties between deployments finishing at the same instant, so reruns agree
        row_number() over (partition by tenant_id, pr_id order by finished_at, deployment_id) as shipment_rank
    from shipped

),

first_shipped as (

    select * from ranked
    where shipment_rank = 1

)

select
    commits.tenant_id,
    commits.pr_id,
    commits.commit_index,
    commits.commit_sha,
    commits.committed_at,
    first_shipped.deployment_id,
    first_shipped.team,
    first_shipped.service,
    first_shipped.finished_at as deployed_at,
    date_diff('second', commits.committed_at, first_shipped.finished_at) / 3600.0 as lead_time_hours
from commits
inner join first_shipped
    on commits.tenant_id = first_shipped.tenant_id
    and commits.pr_id = first_shipped.pr_id
