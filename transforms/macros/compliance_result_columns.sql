{#- The one shape of a control's test results (the `int_*_tested_*` models): one row per tested population item
    that passed (exception columns null) and one per exception of an item that did not.
    int_compliance_results_unioned stacks them; compliance_controls and compliance_exceptions read that. -#}

{% macro compliance_result_column_names() -%}
    {{ return([
        'tenant_id',
        'control_id',
        'month',
        'population_item_id',
        'occurred_at',
        'exception_id',
        'exception_type',
        'actor_id',
        'target_user_id',
        'measured_value',
        'threshold_value',
        'detail',
        'evidence_event_ids',
    ]) }}
{%- endmacro %}

{#- The select list of a result row, in the order above. Each keyword argument is the SQL of one column. A column
    not given is read from the CTE most controls build: `population` (one row per tested item) left-joined to
    `exceptions` (one row per way it failed) on tenant_id and population_item_id (an item id, such as an incident
    id, is unique within its tenant only), i.e. the item's columns from `population`, exception_type and detail
    from `exceptions`, exception_id `<control_id>:<population_item_id>:<exception_type>`;
    actor_id, target_user_id, measured_value and threshold_value are typed nulls. `population_cte=none,
    exceptions_cte=none` reads the same columns unqualified, from a single CTE. -#}
{% macro compliance_result_columns(population_cte='population', exceptions_cte='exceptions') -%}
    {%- set p = population_cte ~ '.' if population_cte else '' -%}
    {%- set e = exceptions_cte ~ '.' if exceptions_cte else '' -%}
    {%- set defaults = {
        'tenant_id': p ~ 'tenant_id',
        'control_id': p ~ 'control_id',
        'month': p ~ 'month',
        'population_item_id': p ~ 'population_item_id',
        'occurred_at': p ~ 'occurred_at',
        'exception_id': p ~ "control_id || ':' || " ~ p ~ "population_item_id || ':' || " ~ e ~ 'exception_type',
        'exception_type': e ~ 'exception_type',
        'actor_id': 'cast(null as varchar)',
        'target_user_id': 'cast(null as varchar)',
        'measured_value': 'cast(null as double)',
        'threshold_value': 'cast(null as double)',
        'detail': e ~ 'detail',
        'evidence_event_ids': p ~ 'evidence_event_ids',
    } -%}
    {%- for name in kwargs if name not in defaults -%}
        {{ exceptions.raise_compiler_error("compliance_result_columns: no result column named " ~ name) }}
    {%- endfor -%}
    {%- for name in compliance_result_column_names() %}
    {%- set sql = kwargs.get(name, defaults[name]) | trim %}
    {{ sql }}{{ ' as ' ~ name if sql != name }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
