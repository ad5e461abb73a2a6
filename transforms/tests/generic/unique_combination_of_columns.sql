{#- Fails on every combination of values of `combination_of_columns` held by more than one row (the model's grain),
    as dbt_utils.unique_combination_of_columns does (written here: dbt Hub packages are not installed). Nulls
    group together, so two rows equal but for a null in the same column are a duplicate too. A `where` config
    filters the model first, as for any test.

    data_tests:
      - unique_combination_of_columns:
          arguments:
            combination_of_columns: [tenant_id, month]
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- if combination_of_columns is string or combination_of_columns | length == 0 %}
    {{ exceptions.raise_compiler_error(
        "unique_combination_of_columns: combination_of_columns must be a non-empty list of columns"
    ) }}
{%- endif %}
{%- set columns = combination_of_columns | join(', ') %}

select
    {{ columns }},
    count(*) as rows_with_these_values
from {{ model }}
group by {{ columns }}
having count(*) > 1

{% endtest %}
