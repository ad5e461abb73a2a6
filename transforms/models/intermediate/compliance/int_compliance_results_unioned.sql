-- Every control's test results in one shape: one row per tested population item that passed (exception columns
-- null) and one per exception of an item that did not.
{%- set tested = [
    'int_logins_tested_for_mfa',
    'int_terminations_tested_for_deprovisioning',
    'int_privileged_grants_tested_for_approval',
    'int_privileged_holdings_tested_for_review',
    'int_audit_days_tested_for_completeness',
    'int_incidents_tested_against_targets',
    'int_deployments_tested_for_change_approval',
    'int_erasures_tested_for_deadline',
] %}
with

{% for model in tested %}
{{ model }} as (

    select
        {{ compliance_result_column_names() | join(',\n        ') }}
    from {{ ref(model) }}

),

{% endfor %}
unioned as (

{% for model in tested %}
    select * from {{ model }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}

)

select * from unioned
