{#- Helpers for the occupation models (crosswalks and automation measures). -#}

{#- The prefix shared by the detailed codes of a SOC group code: SOC broad groups end in 0
    (29-1060 -> 29-106), minor groups in 00 or 000 (25-1000 -> 25-1); null for a detailed code.
    Plain substring and like, so that it runs on DuckDB and Spark. -#}
{% macro soc_group_prefix(code) -%}
    case
        when {{ code }} like '__-_000' then substring({{ code }}, 1, 4)
        when {{ code }} like '__-__00' then substring({{ code }}, 1, 5)
        when {{ code }} like '__-___0' then substring({{ code }}, 1, 6)
    end
{%- endmacro %}

{#- The rows of `remaining` (measure_id, native_code, ...) that the resolution step `resolved` did not
    resolve: what the next step of the cascade in int_measure_codes__resolved works on. -#}
{% macro not_resolved_by(remaining, resolved) -%}
    select {{ remaining }}.*
    from {{ remaining }}
    left join (select distinct measure_id, native_code from {{ resolved }}) as resolved
        on resolved.measure_id = {{ remaining }}.measure_id
        and resolved.native_code = {{ remaining }}.native_code
    where resolved.native_code is null
{%- endmacro %}

{#- Rows whose weights do not sum to 1 (within tolerance) over each group: for crosswalk weights
    (bridge_occupation_code) and task weights (dim_task). -#}
{% test weights_sum_to_one(model, column_name, group_by, tolerance=1e-9) %}
select
    {{ group_by | join(', ') }},
    sum({{ column_name }}) as weight_total
from {{ model }}
group by {{ group_by | join(', ') }}
having abs(sum({{ column_name }}) - 1) > {{ tolerance }}
{% endtest %}

{#- A comma-separated list of the non-null values of `expression` in a group, in ascending order.
    dbt.listagg ignores the ordering on Spark, so Spark sorts the collected list instead. -#}
{% macro ordered_code_list(expression) -%}
    {{ return(adapter.dispatch('ordered_code_list')(expression)) }}
{%- endmacro %}

{% macro default__ordered_code_list(expression) -%}
    {{ dbt.listagg(expression, "','", "order by " ~ expression) }}
{%- endmacro %}

{% macro spark__ordered_code_list(expression) -%}
    nullif(concat_ws(',', array_sort(collect_list({{ expression }}))), '')
{%- endmacro %}

{#- The task weights of A030-A032 (core, supplemental, untyped), one row read from the assumptions
    seed: the body of a CTE that task_weight() reads as `weights`. -#}
{% macro task_weights_from_assumptions() -%}
    select
        cast(max(case when assumption_id = 'A030' then value end) as double) as core_weight,
        cast(max(case when assumption_id = 'A031' then value end) as double) as supplemental_weight,
        cast(max(case when assumption_id = 'A032' then value end) as double) as untyped_weight
    from {{ ref('assumptions') }}
{%- endmacro %}

{#- A task's weight in its occupation by its O*NET task type (Core, Supplemental, or null when
    untyped), from the `weights` CTE of task_weights_from_assumptions(). -#}
{% macro task_weight(task_type) -%}
    case
        when {{ task_type }} = 'Core' then weights.core_weight
        when {{ task_type }} = 'Supplemental' then weights.supplemental_weight
        when {{ task_type }} is null then weights.untyped_weight
    end
{%- endmacro %}
