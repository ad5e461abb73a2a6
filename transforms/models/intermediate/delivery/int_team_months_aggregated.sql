{{ config(materialized='table') }}  {#- its tests and the marts read it: computed once, not per reader #}
-- One row per (deploying tenant, team, month) with the four DORA keys measured, before banding. The spine holds
-- every team that deployed to production or had an incident attributed, for every month from the tenant's first
-- to its last month with a production deployment or an attributed incident, so a month without deployments is a
-- row with 0 deployments, not a missing row. Which month a fact lands in:
--   deployments, change failures: month the deployment finished;
--   lead time: month the commit's first successful production deployment finished;
--   time to restore, failed deployment recovery: month the incident was triggered (as incident_metrics_monthly).
with

deployments as (

    select * from {{ ref('int_production_deployments_joined_to_incidents') }}

),

commits as (

    select * from {{ ref('int_commits_joined_to_first_deployment') }}

),

incidents as (

    select * from {{ ref('int_incidents_attributed_to_teams') }}
    -- an incident triggered before the data starts has no month and no time to restore
    where team is not null and triggered_at is not null

),

weeks as (

    select * from {{ ref('int_team_weeks_deployment_days_counted') }}

),

team_months as (

    select tenant_id, team, cast(date_trunc('month', finished_at) as date) as month from deployments
    union all
    select tenant_id, team, cast(date_trunc('month', triggered_at) as date) as month from incidents

),

tenant_ranges as (

    select tenant_id, min(month) as first_month, max(month) as last_month
    from team_months
    group by tenant_id

),

teams as (

    select distinct tenant_id, team from team_months

),

spine as (

    select
        teams.tenant_id,
        teams.team,
        cast(unnest(generate_series(
            tenant_ranges.first_month, tenant_ranges.last_month, interval 1 month
        )) as date) as month
    from teams
    inner join tenant_ranges on teams.tenant_id = tenant_ranges.tenant_id

),

deployment_stats as (

    select
        tenant_id,
        team,
        cast(date_trunc('month', finished_at) as date) as month,
        count(*) filter (where is_successful) as deployments,
        count(distinct cast(finished_at as date)) filter (where is_successful) as deployment_days,
        count(*) as production_deployment_attempts,
        count(*) filter (where is_change_failure) as change_failures
    from deployments
    group by tenant_id, team, cast(date_trunc('month', finished_at) as date)

),

week_stats as (

    select
        tenant_id,
        team,
        month,
        count(*) as weeks_measured,
        percentile_cont(0.5) within group (order by deployment_days) as median_deployment_days_per_week
    from weeks
    group by tenant_id, team, month

),

commit_stats as (

    select
        tenant_id,
        team,
        cast(date_trunc('month', deployed_at) as date) as month,
        count(*) as commits_deployed,
        percentile_cont(0.5) within group (order by lead_time_hours) as lead_time_p50_hours
    from commits
    group by tenant_id, team, cast(date_trunc('month', deployed_at) as date)

),

incident_stats as (

    select
        tenant_id,
        team,
        cast(date_trunc('month', triggered_at) as date) as month,
        count(*) as incidents,
        count(resolved_at) as resolved_incidents,
        percentile_cont(0.5) within group (order by hours_to_restore) as time_to_restore_p50_hours,
        count(hours_to_recover_from_deployment) as failed_deployment_recoveries,
        percentile_cont(0.5) within group (order by hours_to_recover_from_deployment)
            as failed_deployment_recovery_p50_hours
    from incidents
    group by tenant_id, team, cast(date_trunc('month', triggered_at) as date)

)

select
    spine.tenant_id,
    spine.team,
    spine.month,
    coalesce(deployment_stats.deployments, 0) as deployments,
    coalesce(deployment_stats.deployment_days, 0) as deployment_days,
    coalesce(week_stats.weeks_measured, 0) as weeks_measured,
    week_stats.median_deployment_days_per_week,
    coalesce(commit_stats.commits_deployed, 0) as commits_deployed,
    commit_stats.lead_time_p50_hours,
    coalesce(deployment_stats.production_deployment_attempts, 0) as production_deployment_attempts,
    coalesce(deployment_stats.change_failures, 0) as change_failures,
    cast(deployment_stats.change_failures as double)
        / nullif(deployment_stats.production_deployment_attempts, 0) as change_failure_rate,
    coalesce(incident_stats.incidents, 0) as incidents,
    coalesce(incident_stats.resolved_incidents, 0) as resolved_incidents,
    incident_stats.time_to_restore_p50_hours,
    coalesce(incident_stats.failed_deployment_recoveries, 0) as failed_deployment_recoveries,
    incident_stats.failed_deployment_recovery_p50_hours
from spine
left join deployment_stats
    on spine.tenant_id = deployment_stats.tenant_id
    and spine.team = deployment_stats.team
    and spine.month = deployment_stats.month
left join week_stats
    on spine.tenant_id = week_stats.tenant_id
    and spine.team = week_stats.team
    and spine.month = week_stats.month
left join commit_stats
    on spine.tenant_id = commit_stats.tenant_id
    and spine.team = commit_stats.team
    and spine.month = commit_stats.month
left join incident_stats
    on spine.tenant_id = incident_stats.tenant_id
    and spine.team = incident_stats.team
    and spine.month = incident_stats.month
