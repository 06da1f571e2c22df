{#- Generic tests written here because dbt hub packages cannot be installed offline. -#}

{% test within_range(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }} as offending_value, *
from {{ model }}
where {{ column_name }} is not null
  and (
    {%- if min_value is not none %} {{ column_name }} < {{ min_value }} {%- else %} false {%- endif %}
    or
    {%- if max_value is not none %} {{ column_name }} > {{ max_value }} {%- else %} false {%- endif %}
  )
{% endtest %}

{% test unique_combination(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}

{% test null_only_with_reason(model, column_name, reason_column) %}
select *
from {{ model }}
where ({{ column_name }} is null and {{ reason_column }} is null)
   or ({{ column_name }} is not null and {{ reason_column }} is not null)
{% endtest %}
