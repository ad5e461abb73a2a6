-- One row per (deploying tenant, team, Monday-start week) that the delivery data covers whole, with the number of
-- distinct UTC days on which the team finished at least one successful production deployment (0 included).
-- Weeks cut by the start or end of the data are left out: a team deploying every weekday would show 2 days in a
-- week the data enters on Thursday. Coverage is the first to the last day with any deployment record (staging or
-- production) of the tenant. A week belongs to the month of its Thursday (the ISO 8601 rule for years), so each
-- week counts in exactly one month.
with

all_deployments as (

    select * from {{ ref('stg_silver__deployments') }}

),

production as (

    select * from {{ ref('int_production_deployments_joined_to_incidents') }}

),

coverage as (

    select
        tenant_id,
        min(cast(occurred_at as date)) as first_day,
        max(cast(occurred_at as date)) as last_day
    from all_deployments
    group by tenant_id

),

weeks as (

    select
        tenant_id,
        first_day,
        last_day,
        cast(unnest(generate_series(
            cast(date_trunc('week', first_day) as date), last_day, interval 7 day
        )) as date) as week_start
    from coverage

),

full_weeks as (

    select tenant_id, week_start
    from weeks
    where week_start >= first_day and week_start + 6 <= last_day

),

teams as (

    select distinct tenant_id, team from production

),

deployment_days as (

    select
        tenant_id,
        team,
        cast(date_trunc('week', finished_at) as date) as week_start,
        count(distinct cast(finished_at as date)) as deployment_days
    from production
    where is_successful
    group by tenant_id, team, cast(date_trunc('week', finished_at) as date)

)

select
    teams.tenant_id,
    teams.team,
    full_weeks.week_start,
    cast(date_trunc('month', full_weeks.week_start + 3) as date) as month,
    coalesce(deployment_days.deployment_days, 0) as deployment_days
from teams
inner join full_weeks on teams.tenant_id = full_weeks.tenant_id
left join deployment_days
    on teams.tenant_id = deployment_days.tenant_id
    and teams.team = deployment_days.team
    and full_weeks.week_start = deployment_days.week_start
