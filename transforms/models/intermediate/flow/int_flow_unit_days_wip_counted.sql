-- One row per flow unit and covered day: the unit's flow load (work in progress) at the end of the day and the
-- number of transitions of its items during it. A flow unit is what carries the flow of a level of the seed
-- `work_item_types`: a team for team flow (stories, enablers, defects, risks), an Agile Release Train for ART
-- flow (features) and the tenant's portfolio for portfolio flow (epics, whose team and train are bookkeeping).
-- Work in progress is the unit's items started (they have entered an active state) and not done at midnight
-- UTC ending the day, whatever their state then: a blocked or queued item that has started still loads the
-- unit. The state at the end of a day is the one after every transition before midnight; a transition at
-- exactly midnight belongs to the next day.
with

periods as (

    select
        *,
        case flow_level
            when 'team' then team
            when 'art' then art
            when 'portfolio' then tenant_id
        end as flow_unit

    from {{ ref('int_work_item_state_intervals_classified') }}

),

coverage as (

    select * from {{ ref('int_delivery_records_aggregated_to_tenant') }}

),

units as (

    select distinct
        tenant_id,
        flow_level,
        flow_unit,
        case when flow_level in ('team', 'art') then art end as art,
        case when flow_level = 'team' then team end as team

    from periods
    where flow_unit is not null

),

days as (

    select
        tenant_id,
        cast(unnest(generate_series(covered_from, covered_to, interval 1 day)) as date) as day

    from coverage

),

unit_days as (

    select
        units.tenant_id,
        units.flow_level,
        units.flow_unit,
        units.art,
        units.team,
        days.day,
        cast(days.day + 1 as timestamptz) as day_ends_at

    from units
    inner join days on units.tenant_id = days.tenant_id

),

work_in_progress as (

    select
        unit_days.tenant_id,
        unit_days.flow_level,
        unit_days.flow_unit,
        unit_days.day,
        count(periods.work_item_id) as wip_items

    from unit_days
    left join periods
        on
            unit_days.tenant_id = periods.tenant_id
            and unit_days.flow_level = periods.flow_level
            and unit_days.flow_unit = periods.flow_unit
            and periods.is_after_start
            and periods.state_class != 'done'
            and periods.entered_at < unit_days.day_ends_at
            and (periods.exited_at is null or periods.exited_at >= unit_days.day_ends_at)
    group by unit_days.tenant_id, unit_days.flow_level, unit_days.flow_unit, unit_days.day

),

activity as (

    select
        tenant_id,
        flow_level,
        flow_unit,
        cast(entered_at as date) as day,
        count(*) as transitions

    from periods
    where not is_before_coverage
    group by tenant_id, flow_level, flow_unit, cast(entered_at as date)

)

select
    unit_days.tenant_id,
    unit_days.flow_level,
    unit_days.art,
    unit_days.team,
    unit_days.day,
    cast(date_trunc('week', unit_days.day) as date) as week_start,
    cast(date_trunc('month', unit_days.day) as date) as month,
    work_in_progress.wip_items,
    coalesce(activity.transitions, 0) as transitions
from unit_days
inner join work_in_progress
    on
        unit_days.tenant_id = work_in_progress.tenant_id
        and unit_days.flow_level = work_in_progress.flow_level
        and unit_days.flow_unit = work_in_progress.flow_unit
        and unit_days.day = work_in_progress.day
left join activity
    on
        unit_days.tenant_id = activity.tenant_id
        and unit_days.flow_level = activity.flow_level
        and unit_days.flow_unit = activity.flow_unit
        and unit_days.day = activity.day
