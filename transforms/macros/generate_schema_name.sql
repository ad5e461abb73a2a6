{#- Models land in their layer's schema as configured (`staging`, `intermediate`, `marts`), not in
    dbt's default `<target schema>_<custom schema>`: there is one warehouse per OPSLAKE_HOME. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name | trim if custom_schema_name is not none else target.schema }}
{%- endmacro %}
