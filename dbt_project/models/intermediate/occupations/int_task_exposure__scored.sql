-- One row per O*NET 29.3 task that has Eloundou et al. labels (joined on task_id): the published
-- labels and the task scores derived from them. Exposure: E0 no exposure, E1 direct exposure,
-- E2 exposure through LLM-powered software; alpha = E1, beta = E1 + 0.5 E2, gamma = E1 + E2.
-- Automation: T0..T4 -> 0, 0.25, 0.5, 0.75, 1. An unknown label gives a null score (and fails
-- the accepted_values tests) rather than a silent 0.
with tasks as (
    select
        task_id,
        o_net_soc_code as onet_soc_code,
        task,
        task_type
    from {{ ref('stg_onet__task_statements') }}
),

labels as (
    select
        task_id,
        o_net_soc_code,
        task,
        task_type,
        human_exposure_agg,
        gpt4_exposure,
        gpt4_exposure_alt_rubric,
        gpt_3_relevant,
        gpt4_automation,
        _source_sha256
    from {{ ref('stg_openai__full_labelset') }}
)

select
    tasks.task_id,
    tasks.onet_soc_code,
    labels.gpt4_exposure as gpt4_exposure_label,
    labels.gpt4_exposure_alt_rubric as gpt4_exposure_alt_rubric_label,
    labels.human_exposure_agg as human_exposure_label,
    labels.gpt4_automation as gpt4_automation_label,
    labels.gpt_3_relevant as is_gpt3_relevant,
    cast(case labels.gpt4_exposure when 'E1' then 1.0 when 'E2' then 0.0 when 'E0' then 0.0 end as double) as gpt4_alpha,
    cast(case labels.gpt4_exposure when 'E1' then 1.0 when 'E2' then 0.5 when 'E0' then 0.0 end as double) as gpt4_beta,
    cast(case labels.gpt4_exposure when 'E1' then 1.0 when 'E2' then 1.0 when 'E0' then 0.0 end as double) as gpt4_gamma,
    cast(case labels.human_exposure_agg when 'E1' then 1.0 when 'E2' then 0.0 when 'E0' then 0.0 end as double) as human_alpha,
    cast(case labels.human_exposure_agg when 'E1' then 1.0 when 'E2' then 0.5 when 'E0' then 0.0 end as double) as human_beta,
    cast(case labels.human_exposure_agg when 'E1' then 1.0 when 'E2' then 1.0 when 'E0' then 0.0 end as double) as human_gamma,
    cast(case labels.gpt4_automation
        when 'T0' then 0.0
        when 'T1' then 0.25
        when 'T2' then 0.5
        when 'T3' then 0.75
        when 'T4' then 1.0
    end as double) as gpt4_automation_01,
    labels.task_type as label_task_type,
    coalesce(labels.task_type, 'none') <> coalesce(tasks.task_type, 'none') as is_task_type_changed,
    labels.task <> tasks.task as is_task_statement_changed,
    labels._source_sha256 as source_sha256
from tasks
inner join labels
    on labels.task_id = tasks.task_id
