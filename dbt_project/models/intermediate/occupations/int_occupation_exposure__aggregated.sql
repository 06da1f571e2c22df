-- One row per O*NET-SOC 2019 occupation and Eloundou et al. measure: the core-weighted mean of the
-- occupation's labelled task values, sum(task_weight x value) / sum(task_weight) with task_weight
-- 2 core, 1 supplemental, 1 untyped (A030-A032). Only O*NET 29.3 tasks with labels count; the
-- share of the occupation's task weight they carry is task_weight_coverage_share.
with weights as (
    select
        task_id,
        onet_soc_code,
        task_weight,
        task_weight_in_occupation
    from {{ ref('int_tasks__weighted_by_occupation') }}
),

scored as (
    select
        task_id,
        gpt4_alpha,
        gpt4_beta,
        gpt4_gamma,
        human_alpha,
        human_beta,
        human_gamma,
        gpt4_automation_01,
        source_sha256
    from {{ ref('int_task_exposure__scored') }}
),

joined as (
    select
        weights.onet_soc_code,
        weights.task_weight,
        weights.task_weight_in_occupation,
        scored.*
    from weights
    inner join scored
        on scored.task_id = weights.task_id
),

task_values as (
    {%- set measures = {
        'gpt4_alpha': 'gpt4_alpha', 'gpt4_beta': 'gpt4_beta', 'gpt4_gamma': 'gpt4_gamma',
        'human_alpha': 'human_alpha', 'human_beta': 'human_beta', 'human_gamma': 'human_gamma',
        'gpt4_automation': 'gpt4_automation_01'} %}
    {%- for measure_id, column in measures.items() %}
    select
        onet_soc_code,
        '{{ measure_id }}' as measure_id,
        task_weight,
        task_weight_in_occupation,
        {{ column }} as task_value,
        source_sha256
    from joined
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    onet_soc_code,
    measure_id,
    sum(task_weight * task_value) / sum(task_weight) as raw_value,
    cast(sum(task_weight_in_occupation) as double) as task_weight_coverage_share,
    cast(count(*) as bigint) as labelled_task_count,
    max(source_sha256) as source_sha256
from task_values
where task_value is not null
group by onet_soc_code, measure_id
