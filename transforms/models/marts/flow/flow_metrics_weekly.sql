-- SAFe flow metrics per team and ISO week (Monday start, UTC), over team-flow items (stories, enablers,
-- defects, risks; containers excluded by the seed `work_item_types`). Each team gets a continuous weekly series
-- from the week of its first transition to the week of its last, so a week with work in progress but nothing
-- finished is a row with zero velocity, not a gap.
with

work_items as (

    select * from {{ ref('int_work_items_rolled_up') }}
    where is_team_flow_item

),

team_days as (

    select * from {{ ref('int_flow_unit_days_wip_counted') }}
    where flow_level = 'team'

),

team_spans as (

    select
        tenant_id,
        team,
        min(week_start) as first_week,
        max(week_start) as last_week

    from team_days
    where transitions > 0
    group by tenant_id, team

),

-- Flow load: the end-of-day work in progress, averaged over the covered days of the week (calendar days: an
-- item waiting over a weekend still loads the team).
team_weeks as (

    select
        team_days.tenant_id,
        team_days.art,
        team_days.team,
        team_days.week_start,
        count(*) as days_observed,
        avg(team_days.wip_items) as flow_load_avg_wip

    from team_days
    inner join team_spans
        on
            team_days.tenant_id = team_spans.tenant_id
            and team_days.team = team_spans.team
            and team_days.week_start between team_spans.first_week and team_spans.last_week
    group by team_days.tenant_id, team_days.art, team_days.team, team_days.week_start

),

-- Completions count in the week of the item's final entry into done; an item reopened and not yet done again
-- is not a completion. Flow efficiency is time-weighted over the week's measured completions (total active
-- time over total flow time), so a long item weighs as much as the time it spent.
completions as (

    select
        tenant_id,
        team,
        done_week as week_start,
        {{ flow_completion_metrics() }},
        count(*) filter (where flow_item_type = 'feature') as features_completed,
        count(*) filter (where flow_item_type = 'enabler') as enablers_completed,
        count(*) filter (where flow_item_type = 'defect') as defects_completed,
        count(*) filter (where flow_item_type = 'risk') as risks_completed

    from work_items
    where is_done
    group by tenant_id, team, done_week

)

select
    team_weeks.tenant_id,
    team_weeks.art,
    team_weeks.team,
    team_weeks.week_start,
    {{ period_coverage_columns('team_weeks.week_start', 'week') }},
    cast(team_weeks.days_observed as bigint) as days_observed,
    cast(coalesce(completions.flow_velocity, 0) as bigint) as flow_velocity,
    cast(coalesce(completions.features_completed, 0) as bigint) as features_completed,
    cast(coalesce(completions.enablers_completed, 0) as bigint) as enablers_completed,
    cast(coalesce(completions.defects_completed, 0) as bigint) as defects_completed,
    cast(coalesce(completions.risks_completed, 0) as bigint) as risks_completed,
    cast(completions.features_completed as double) / completions.flow_velocity as feature_share,
    cast(completions.enablers_completed as double) / completions.flow_velocity as enabler_share,
    cast(completions.defects_completed as double) / completions.flow_velocity as defect_share,
    cast(completions.risks_completed as double) / completions.flow_velocity as risk_share,
    cast(coalesce(completions.reopened_completed, 0) as bigint) as reopened_completed,
    cast(coalesce(completions.flow_time_items, 0) as bigint) as flow_time_items,
    cast(completions.flow_time_p50_days as double) as flow_time_p50_days,
    cast(completions.flow_time_p85_days as double) as flow_time_p85_days,
    cast(team_weeks.flow_load_avg_wip as double) as flow_load_avg_wip,
    cast(completions.flow_efficiency as double) as flow_efficiency
from team_weeks
left join completions
    on
        team_weeks.tenant_id = completions.tenant_id
        and team_weeks.team = completions.team
        and team_weeks.week_start = completions.week_start
