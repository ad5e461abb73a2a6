-- SAFe flow metrics per Agile Release Train and ISO week (Monday start, UTC), over the ART's flow items:
-- features (`flow_level` art in the seed `work_item_types`), counted by the train whatever team holds them.
-- The definitions are the team mart's (macro `flow_completion_metrics`, intermediate models shared). Each train
-- gets a continuous weekly series from the week of its features' first transition to the week of their last.
with

features as (

    select * from {{ ref('int_work_items_rolled_up') }}
    where flow_level = 'art'

),

art_days as (

    select * from {{ ref('int_flow_unit_days_wip_counted') }}
    where flow_level = 'art'

),

art_spans as (

    select
        tenant_id,
        art,
        min(week_start) as first_week,
        max(week_start) as last_week

    from art_days
    where transitions > 0
    group by tenant_id, art

),

-- Flow load: the end-of-day features in progress, averaged over the covered days of the week.
art_weeks as (

    select
        art_days.tenant_id,
        art_days.art,
        art_days.week_start,
        count(*) as days_observed,
        avg(art_days.wip_items) as flow_load_avg_wip

    from art_days
    inner join art_spans
        on
            art_days.tenant_id = art_spans.tenant_id
            and art_days.art = art_spans.art
            and art_days.week_start between art_spans.first_week and art_spans.last_week
    group by art_days.tenant_id, art_days.art, art_days.week_start

),

-- A feature completes in the week of its final entry into done.
completions as (

    select
        tenant_id,
        art,
        done_week as week_start,
        {{ flow_completion_metrics() }}

    from features
    where is_done
    group by tenant_id, art, done_week

)

select
    art_weeks.tenant_id,
    art_weeks.art,
    art_weeks.week_start,
    {{ period_coverage_columns('art_weeks.week_start', 'week') }},
    cast(art_weeks.days_observed as bigint) as days_observed,
    cast(coalesce(completions.flow_velocity, 0) as bigint) as flow_velocity,
    cast(coalesce(completions.reopened_completed, 0) as bigint) as reopened_completed,
    cast(coalesce(completions.flow_time_items, 0) as bigint) as flow_time_items,
    cast(completions.flow_time_p50_days as double) as flow_time_p50_days,
    cast(completions.flow_time_p85_days as double) as flow_time_p85_days,
    cast(art_weeks.flow_load_avg_wip as double) as flow_load_avg_wip,
    cast(completions.flow_efficiency as double) as flow_efficiency
from art_weeks
left join completions
    on
        art_weeks.tenant_id = completions.tenant_id
        and art_weeks.art = completions.art
        and art_weeks.week_start = completions.week_start
