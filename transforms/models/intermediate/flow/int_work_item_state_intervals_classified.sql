-- One row per period a work item spent in one state, classed active / waiting / done by the seed
-- `work_item_states` (`unclassified` for a state the seed does not list: the item's history stays whole, and
-- the time counts as neither active nor done until the seed is completed), and typed by the seed `work_item_types` (its flow item type, and the level whose flow it
-- counts in: team, art or portfolio). A period runs from the transition into the state to the next transition
-- of the item (open while it is the current state). An item first seen moving out of a state (created before
-- the delivery feed begins) gets a leading period in that state from the start of coverage: its state before
-- is known, its start is not (`is_before_coverage`).
with

transitions as (

    select * from {{ ref('stg_silver__work_item_transitions') }}

),

coverage as (

    select * from {{ ref('int_delivery_records_aggregated_to_tenant') }}

),

states as (

    select * from {{ ref('work_item_states') }}

),

types as (

    select * from {{ ref('work_item_types') }}

),

-- Type, train and team are attributes of the item, taken from its latest record.
work_items as (

    select
        tenant_id,
        work_item_id,
        arg_max(work_item_type, occurred_at) as work_item_type,
        arg_max(art, occurred_at) as art,
        arg_max(team, occurred_at) as team

    from transitions
    group by tenant_id, work_item_id

),

sequenced as (

    select
        tenant_id,
        work_item_id,
        event_id,
        from_state,
        to_state,
        occurred_at,
        row_number() over (
            partition by tenant_id, work_item_id order by occurred_at, event_id
        ) as transition_number,
        lead(occurred_at) over (
            partition by tenant_id, work_item_id order by occurred_at, event_id
        ) as next_occurred_at

    from transitions

),

observed_periods as (

    select
        tenant_id,
        work_item_id,
        to_state as state,
        occurred_at as entered_at,
        next_occurred_at as exited_at,
        event_id as entered_event_id,
        false as is_before_coverage

    from sequenced

),

leading_periods as (

    select
        sequenced.tenant_id,
        sequenced.work_item_id,
        sequenced.from_state as state,
        coverage.covered_from_at as entered_at,
        sequenced.occurred_at as exited_at,
        cast(null as varchar) as entered_event_id,
        true as is_before_coverage

    from sequenced
    inner join coverage on sequenced.tenant_id = coverage.tenant_id
    where sequenced.transition_number = 1 and sequenced.from_state is not null

),

periods as (

    select * from observed_periods
    union all
    select * from leading_periods

),

classified as (

    select
        periods.tenant_id,
        periods.work_item_id,
        work_items.work_item_type,
        types.flow_item_type,
        types.flow_level,
        types.flow_level = 'team' as is_team_flow_item,
        work_items.art,
        work_items.team,
        periods.state,
        coalesce(states.state_class, 'unclassified') as state_class,
        periods.entered_at,
        periods.exited_at,
        periods.entered_event_id,
        periods.is_before_coverage

    from periods
    inner join work_items
        on periods.tenant_id = work_items.tenant_id and periods.work_item_id = work_items.work_item_id
    left join states on periods.state = states.state
    left join types on work_items.work_item_type = types.work_item_type

),

with_start as (

    select
        *,
        min(entered_at) filter (where state_class = 'active') over (
            partition by tenant_id, work_item_id
        ) as started_at

    from classified

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
    row_number() over (
        partition by tenant_id, work_item_id order by entered_at, is_before_coverage desc, entered_event_id
    ) as period_number,
    state,
    state_class,
    entered_at,
    exited_at,
    exited_at is null as is_current,
    -- Periods from the first entry into an active state on, waiting and done ones included, lie inside the
    -- item's flow; earlier ones (backlog, ready before any analysis) are demand not yet started.
    coalesce(entered_at >= started_at, false) as is_after_start,
    is_before_coverage,
    entered_event_id
from with_start
