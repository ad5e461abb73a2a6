{#- A double as DECIMAL(38, 18), for sums and means: decimal sums are exact, so their result does not depend on the
    order rows arrive in, whereas a sum of doubles rounds at every step (a killed and a clean build published
    mtta_mean_minutes differing in the last digit). 18 places keep minutes, days and amounts far below what is
    shown; a mean or ratio of such sums comes back as a double. -#}
{% macro as_exact_decimal(expression) -%}
    cast({{ expression }} as decimal(38, 18))
{%- endmacro %}
