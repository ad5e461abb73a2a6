-- One row per work item with the flow facts of its whole history. An item is done when its current state is
-- a done state; a reopened item (moved out of done, then done again) is done at its final entry into done,
-- and its flow time runs from its first entry into an active state to that final done, so the rework and the
-- time it sat wrongly done are inside it. Flow time and active time are measured only for items whose whole
-- history lies inside the delivery feed: for an item already moving when the feed began the start is unknown,
-- and a flow time from the start of coverage would understate it.
with

periods as (

    select * from {{ ref('int_work_item_state_intervals_classified') }}

),

rolled_up as (

    select
        tenant_id,
        work_item_id,
        any_value(work_item_type) as work_item_type,
        any_value(flow_item_type) as flow_item_type,
        any_value(flow_level) as flow_level,
        bool_and(is_team_flow_item) as is_team_flow_item,
        any_value(art) as art,
        any_value(team) as team,
        not bool_or(is_before_coverage) as is_history_complete,
        min(entered_at) filter (where not is_before_coverage) as first_seen_at,
        min(entered_at) filter (where state_class = 'active') as started_at,
        max(state) filter (where is_current) as current_state,
        max(state_class) filter (where is_current) as current_state_class,
        min(entered_at) filter (where state_class = 'done' and not is_before_coverage) as first_done_at,
        max(entered_at) filter (where state_class = 'done' and is_current) as done_at,
        count(*) filter (where state_class = 'done' and not is_current) as times_reopened,
        sum(date_diff('second', entered_at, exited_at)) filter (
            where state_class = 'active' and not is_current
        ) as active_seconds,
        count(*) filter (where not is_before_coverage) as transitions

    from periods
    group by tenant_id, work_item_id

),

measured as (

    select
        *,
        current_state_class = 'done' as is_done,
        current_state_class = 'done' and is_history_complete and started_at is not null as is_flow_time_measured

    from rolled_up

)

select
    tenant_id,
    work_item_id,
    work_item_type,
    flow_item_type,
    flow_level,
    is_team_flow_item,
    art,
    team,
    is_history_complete,
    first_seen_at,
    started_at,
    current_state,
    current_state_class,
    is_done,
    first_done_at,
    done_at,
    cast(date_trunc('week', done_at) as date) as done_week,
    cast(date_trunc('month', done_at) as date) as done_month,
    times_reopened,
    transitions,
    is_flow_time_measured,
    case
        when is_flow_time_measured then cast(date_diff('second', started_at, done_at) as double) / 86400
    end as flow_time_days,
    case
        when is_flow_time_measured then cast(coalesce(active_seconds, 0) as double) / 86400
    end as active_time_days
from measured
