{#- Described in _macros.yml. The lake's bounds are scalar subqueries, so that a mart gains the columns with one
    line and no join. -#}
{% macro period_coverage_columns(period_start, period) -%}
    {%- if period not in ('week', 'month') -%}
        {{ exceptions.raise_compiler_error("period_coverage_columns: period is 'week' or 'month', not " ~ period) }}
    {%- endif -%}
    {%- set as_of = ref('int_lake_as_of') -%}
    {%- set period_end = 'cast(' ~ period_start ~ ' + interval 1 ' ~ period ~ ' as date)' -%}
    {%- set covered_days -%}
        greatest(date_diff(
            'day',
            greatest({{ period_start }}, (select first_day from {{ as_of }})),
            least({{ period_end }}, (select as_of_date + 1 from {{ as_of }}))
        ), 0)
    {%- endset %}
    cast(date_diff('day', {{ period_start }}, {{ period_end }}) as integer) as days_in_period,
    cast({{ covered_days }} as integer) as days_covered,
    {{ covered_days }} < date_diff('day', {{ period_start }}, {{ period_end }}) as is_partial
{%- endmacro %}
