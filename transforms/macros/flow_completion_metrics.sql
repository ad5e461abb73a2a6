{#- The SAFe flow metrics of a group of completions, as aggregates over rows of int_work_items_rolled_up that are
    done (the caller filters `is_done` and groups by its unit and period): one definition for the team, ART and
    portfolio marts. Flow velocity counts the completions; flow time is done_at minus the first entry into an
    active state, p50 and p85 by linear interpolation over the measured completions; flow efficiency is their
    total active time over their total flow time (time-weighted; summed as decimals, so independent of the order
    of the rows), null when none was measured. -#}
{% macro flow_completion_metrics() -%}
    count(*) as flow_velocity,
    count(*) filter (where times_reopened > 0) as reopened_completed,
    count(*) filter (where is_flow_time_measured) as flow_time_items,
    percentile_cont(0.5) within group (order by flow_time_days) as flow_time_p50_days,
    percentile_cont(0.85) within group (order by flow_time_days) as flow_time_p85_days,
    sum({{ as_exact_decimal('active_time_days') }}) / nullif(sum({{ as_exact_decimal('flow_time_days') }}), 0)
        as flow_efficiency
{%- endmacro %}
