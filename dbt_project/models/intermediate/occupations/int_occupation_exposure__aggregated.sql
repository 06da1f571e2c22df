-- One row per O*NET-SOC 2019 occupation of the Eloundou et al. (2024) label file and measure: the
-- paper's occupation-level figure, the core-weighted mean of the occupation's task values over the
-- file's own task rows and Task Types, sum(label_task_weight x value) / sum(label_task_weight) with
-- weights 2 core, 1 supplemental, 1 untyped (A030-A032; the file's coreweight column). Every task
-- of the file carries labels, so the coverage share is 1.
with scored as (
    select
        onet_soc_code,
        label_task_weight,
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

task_values as (
    {%- set measures = {
        'gpt4_alpha': 'gpt4_alpha', 'gpt4_beta': 'gpt4_beta', 'gpt4_gamma': 'gpt4_gamma',
        'human_alpha': 'human_alpha', 'human_beta': 'human_beta', 'human_gamma': 'human_gamma',
        'gpt4_automation': 'gpt4_automation_01'} %}
    {%- for measure_id, column in measures.items() %}
    select
        onet_soc_code,
        '{{ measure_id }}' as measure_id,
        label_task_weight as task_weight,
        {{ column }} as task_value,
        source_sha256
    from scored
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    onet_soc_code,
    measure_id,
    sum(task_weight * task_value) / sum(task_weight) as raw_value,
    cast(1 as double) as task_weight_coverage_share,
    cast(count(*) as bigint) as labelled_task_count,
    max(source_sha256) as source_sha256
from task_values
where task_value is not null
group by onet_soc_code, measure_id
