-- One row per commit deployed to production for the first time: the rows behind dora_metrics_monthly's
-- commits_deployed and lead_time_p50_hours, in the month that mart gives them (the month its first successful
-- production deployment finished). The commit's author (a pseudonym in silver) stays out: the rows behind a
-- delivery metric need no person.
with

commits as (

    select * from {{ ref('int_commits_joined_to_first_deployment') }}

)

select
    tenant_id,
    team,
    cast(date_trunc('month', deployed_at) as date) as month,
    pr_id,
    commit_index,
    commit_sha,
    committed_at,
    deployment_id,
    service,
    deployed_at,
    lead_time_hours
from commits
