-- One row per team and covered day: the team's flow load (work in progress) at the end of the day and the
-- number of transitions of its items during it. Work in progress is the team-flow items started (they have
-- entered an active state) and not done at midnight UTC ending the day, whatever their state then: a blocked
-- or queued item that has started still loads the team. The state at the end of a day is the one after every
-- transition before midnight; a transition at exactly midnight belongs to the next day.
with

periods as (

    select * from {{ ref('int_work_item_state_intervals_classified') }}
    where is_team_flow_item

),

coverage as (

    select * from {{ ref('int_delivery_records_aggregated_to_tenant') }}

),

teams as (

    select distinct tenant_id, art, team from periods

),

days as (

    select
        tenant_id,
        cast(unnest(generate_series(covered_from, covered_to, interval 1 day)) as date) as day

    from coverage

),

team_days as (

    select
        teams.tenant_id,
        teams.art,
        teams.team,
        days.day,
        cast(days.day + 1 as timestamptz) as day_ends_at

    from teams
    inner join days on teams.tenant_id = days.tenant_id

),

work_in_progress as (

    select
        team_days.tenant_id,
        team_days.team,
        team_days.day,
        count(periods.work_item_id) as wip_items

    from team_days
    left join periods
        on
            team_days.tenant_id = periods.tenant_id
            and team_days.team = periods.team
            and periods.is_after_start
            and periods.state_class != 'done'
            and periods.entered_at < team_days.day_ends_at
            and (periods.exited_at is null or periods.exited_at >= team_days.day_ends_at)
    group by team_days.tenant_id, team_days.team, team_days.day

),

activity as (

    select
        tenant_id,
        team,
        cast(entered_at as date) as day,
        count(*) as transitions

    from periods
    where not is_before_coverage
    group by tenant_id, team, cast(entered_at as date)

)

select
    team_days.tenant_id,
    team_days.art,
    team_days.team,
    team_days.day,
    cast(date_trunc('week', team_days.day) as date) as week_start,
    work_in_progress.wip_items,
    coalesce(activity.transitions, 0) as transitions
from team_days
inner join work_in_progress
    on
        team_days.tenant_id = work_in_progress.tenant_id
        and team_days.team = work_in_progress.team
        and team_days.day = work_in_progress.day
left join activity
    on
        team_days.tenant_id = activity.tenant_id
        and team_days.team = activity.team
        and team_days.day = activity.day
