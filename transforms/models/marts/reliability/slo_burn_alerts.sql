{#- A table, rebuilt whole: it reads only the alerting evaluations of the incremental
    `int_slo_burn_rates_evaluated` (a small share of its rows), and stitching them into episodes incrementally
    would have to reopen every episode still open at the cutoff, for little gain. -#}
with

alerting_evaluations as (

    select * from {{ ref('int_slo_burn_rates_evaluated') }}
    where is_page_1h_5m or is_page_6h_30m or is_ticket_3d_6h

),

rule_evaluations as (

    select
        tenant_id,
        service,
        sli,
        objective,
        'page' as severity,
        '1h/5m' as rule,
        {{ var('slo_page_1h_5m_burn_rate') }} as burn_rate_threshold,
        evaluated_at,
        next_evaluated_at,
        valid_1h as long_window_valid_requests,
        bad_1h as long_window_bad_requests,
        burn_rate_1h as long_window_burn_rate,
        burn_rate_5m as short_window_burn_rate
    from alerting_evaluations
    where is_page_1h_5m

    union all

    select
        tenant_id,
        service,
        sli,
        objective,
        'page' as severity,
        '6h/30m' as rule,
        {{ var('slo_page_6h_30m_burn_rate') }} as burn_rate_threshold,
        evaluated_at,
        next_evaluated_at,
        valid_6h as long_window_valid_requests,
        bad_6h as long_window_bad_requests,
        burn_rate_6h as long_window_burn_rate,
        burn_rate_30m as short_window_burn_rate
    from alerting_evaluations
    where is_page_6h_30m

    union all

    select
        tenant_id,
        service,
        sli,
        objective,
        'ticket' as severity,
        '3d/6h' as rule,
        {{ var('slo_ticket_3d_6h_burn_rate') }} as burn_rate_threshold,
        evaluated_at,
        next_evaluated_at,
        valid_3d as long_window_valid_requests,
        bad_3d as long_window_bad_requests,
        burn_rate_3d as long_window_burn_rate,
        burn_rate_6h as short_window_burn_rate
    from alerting_evaluations
    where is_ticket_3d_6h

),

marked as (

    -- only alerting evaluations are at hand: one continues an episode when the evaluation before it also alerted,
    -- that is when the previous alerting evaluation names it as its next evaluation
    select
        *,
        case
            when
                lag(next_evaluated_at) over (
                    partition by tenant_id, service, sli, rule order by evaluated_at
                ) = evaluated_at
                then 0
            else 1
        end as is_episode_start

    from rule_evaluations

),

numbered as (

    select
        *,
        sum(is_episode_start) over (
            partition by tenant_id, service, sli, rule
            order by evaluated_at
            rows between unbounded preceding and current row
        ) as episode_number

    from marked

),

episodes as (

    select
        tenant_id,
        service,
        sli,
        severity,
        rule,
        objective,
        burn_rate_threshold,
        min(evaluated_at) as fired_at,
        -- the evaluation after the last alerting one; none yet (null) while the condition still holds at the
        -- end of the data. Each next evaluation is later than the one before, so the max is the last one's.
        case when count(next_evaluated_at) = count(*) then max(next_evaluated_at) end as resolved_at,
        -- how much traffic the page stood on: one failed request out of 20 burns a 99.9% budget 50 times over
        arg_min(long_window_valid_requests, evaluated_at) as fired_long_window_valid_requests,
        arg_min(long_window_bad_requests, evaluated_at) as fired_long_window_bad_requests,
        max(long_window_burn_rate) as peak_long_window_burn_rate,
        max(short_window_burn_rate) as peak_short_window_burn_rate

    from numbered
    group by tenant_id, service, sli, severity, rule, objective, burn_rate_threshold, episode_number

)

select
    tenant_id,
    service,
    sli,
    severity,
    rule,
    cast(objective as decimal(9, 6)) as objective,
    cast(burn_rate_threshold as decimal(4, 1)) as burn_rate_threshold,
    fired_at,
    resolved_at,
    resolved_at is null as is_open,
    date_diff('minute', fired_at, resolved_at) as alerting_minutes,
    fired_long_window_valid_requests,
    fired_long_window_bad_requests,
    peak_long_window_burn_rate,
    peak_short_window_burn_rate

from episodes
