{#- The integers 1..n as a relation with one column `n`, in SQL that DuckDB and Spark both run
    (generate_series and unnest are DuckDB-only). Used to split comma-separated code lists. -#}
{% macro integer_series(upper) -%}
    (
    {%- for i in range(1, upper + 1) %}
        select {{ i }} as n{% if not loop.last %} union all{% endif %}
    {%- endfor %}
    )
{%- endmacro %}
