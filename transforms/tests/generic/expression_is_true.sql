{#- Fails on every row for which `expression` is false, as dbt_utils.expression_is_true does (written here: dbt
    Hub packages are not installed). A row where the expression is null passes: it states nothing, like a value
    outside an accepted_values list that is null. With `column_name` (the test under a column), the expression is
    appended to the column, e.g. `expression: ">= 0"`. A `where` config filters the model first, as for any test.

    data_tests:
      - expression_is_true:
          arguments:
            expression: "lead_time_hours >= 0"
-#}
{% test expression_is_true(model, expression, column_name=None) %}

select *
from {{ model }}
{%- if column_name is none %}
where not ({{ expression }})
{%- else %}
where not ({{ column_name }} {{ expression }})
{%- endif %}

{% endtest %}
