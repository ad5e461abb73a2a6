-- SAFe flow metrics of each tenant's portfolio per calendar month (UTC), over the portfolio's flow items: epics
-- (`flow_level` portfolio in the seed `work_item_types`). Epics live for months, so a week would mostly read
-- zero; the month is the period. The portfolio is the tenant's: an epic's train and team are bookkeeping. The
-- definitions are the team mart's (macro `flow_completion_metrics`, intermediate models shared). Each tenant
-- gets a continuous monthly series from the month of its epics' first transition to the month of their last.
with

epics as (

    select * from {{ ref('int_work_items_rolled_up') }}
    where flow_level = 'portfolio'

),

portfolio_days as (

    select * from {{ ref('int_flow_unit_days_wip_counted') }}
    where flow_level = 'portfolio'

),

portfolio_spans as (

    select
        tenant_id,
        min(month) as first_month,
        max(month) as last_month

    from portfolio_days
    where transitions > 0
    group by tenant_id

),

-- Flow load: the end-of-day epics in progress, averaged over the covered days of the month.
portfolio_months as (

    select
        portfolio_days.tenant_id,
        portfolio_days.month,
        count(*) as days_observed,
        avg(portfolio_days.wip_items) as flow_load_avg_wip

    from portfolio_days
    inner join portfolio_spans
        on
            portfolio_days.tenant_id = portfolio_spans.tenant_id
            and portfolio_days.month between portfolio_spans.first_month and portfolio_spans.last_month
    group by portfolio_days.tenant_id, portfolio_days.month

),

-- An epic completes in the month of its final entry into done.
completions as (

    select
        tenant_id,
        done_month as month,
        {{ flow_completion_metrics() }}

    from epics
    where is_done
    group by tenant_id, done_month

)

select
    portfolio_months.tenant_id,
    portfolio_months.month,
    {{ period_coverage_columns('portfolio_months.month', 'month') }},
    cast(portfolio_months.days_observed as bigint) as days_observed,
    cast(coalesce(completions.flow_velocity, 0) as bigint) as flow_velocity,
    cast(coalesce(completions.reopened_completed, 0) as bigint) as reopened_completed,
    cast(coalesce(completions.flow_time_items, 0) as bigint) as flow_time_items,
    cast(completions.flow_time_p50_days as double) as flow_time_p50_days,
    cast(completions.flow_time_p85_days as double) as flow_time_p85_days,
    cast(portfolio_months.flow_load_avg_wip as double) as flow_load_avg_wip,
    cast(completions.flow_efficiency as double) as flow_efficiency
from portfolio_months
left join completions
    on
        portfolio_months.tenant_id = completions.tenant_id
        and portfolio_months.month = completions.month
