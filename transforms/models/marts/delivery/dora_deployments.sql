-- One row per production deployment attempt, successful or failed: the rows behind dora_metrics_monthly's
-- deployments, production_deployment_attempts, change_failures and commits_deployed. It reads the intermediates
-- that mart reads and puts each attempt in the month of its finish, as that mart does, so summing these rows per
-- tenant, team and month gives those columns exactly.
with

deployments as (

    select * from {{ ref('int_production_deployments_joined_to_incidents') }}

),

commits as (

    select * from {{ ref('int_commits_joined_to_first_deployment') }}

),

caused_incidents as (

    select * from {{ ref('int_incidents_attributed_to_teams') }}
    where attributed_by = 'causing_deployment'

),

-- the commits this deployment was the first successful production deployment of (lead time is theirs)
shipped as (

    select
        tenant_id,
        deployment_id,
        count(*) as commits_deployed,
        percentile_cont(0.5) within group (order by lead_time_hours) as lead_time_p50_hours,
        max(lead_time_hours) as lead_time_max_hours
    from commits
    group by tenant_id, deployment_id

),

-- a failed deployment has recovered once every incident it caused is resolved (tenant_id of an attributed
-- incident is the deploying tenant)
recoveries as (

    select
        tenant_id,
        caused_by_deployment_id as deployment_id,
        max(resolved_at) as recovered_at,
        max(hours_to_recover_from_deployment) as failed_deployment_recovery_hours
    from caused_incidents
    group by tenant_id, caused_by_deployment_id
    having count(resolved_at) = count(*)

)

select
    deployments.tenant_id,
    deployments.team,
    cast(date_trunc('month', deployments.finished_at) as date) as month,
    deployments.deployment_id,
    deployments.service,
    deployments.repository,
    deployments.started_at,
    deployments.finished_at,
    deployments.deployment_status,
    deployments.is_successful as is_counted_as_deployment,
    coalesce(shipped.commits_deployed, 0) as commits_deployed,
    shipped.lead_time_p50_hours,
    shipped.lead_time_max_hours,
    deployments.incidents_caused,
    deployments.caused_incident_ids,
    deployments.is_change_failure,
    recoveries.recovered_at,
    recoveries.failed_deployment_recovery_hours
from deployments
left join shipped
    on deployments.tenant_id = shipped.tenant_id
    and deployments.deployment_id = shipped.deployment_id
left join recoveries
    on deployments.tenant_id = recoveries.tenant_id
    and deployments.deployment_id = recoveries.deployment_id
