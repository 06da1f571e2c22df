-- One row per task row of the Eloundou et al. (2024) label file (full_labelset.tsv, 19,265 tasks of
-- 923 occupations): the published labels, the task scores derived from them and the task's weight
-- under the paper's own Task Type (2 core, 1 supplemental, 1 untyped: A030-A032, the file's
-- coreweight). Exposure: E0 no exposure, E1 direct exposure, E2 exposure through LLM-powered
-- software; alpha = E1, beta = E1 + 0.5 E2, gamma = E1 + E2. Automation: T0..T4 -> 0, 0.25, 0.5,
-- 0.75, 1. An unknown label gives a null score (and fails the accepted_values tests) rather than a
-- silent 0. The O*NET 29.3 columns only compare: 514 labelled tasks are not in O*NET 29.3 and 569
-- have another type there; neither changes the paper's occupation figures.
with labels as (
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
),

onet_tasks as (
    select
        task_id,
        o_net_soc_code as onet_soc_code,
        task,
        task_type
    from {{ ref('stg_onet__task_statements') }}
),

weights as (
    {{ task_weights_from_assumptions() }}
)

select
    labels.task_id,
    labels.o_net_soc_code as onet_soc_code,
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
    {{ task_weight('labels.task_type') }} as label_task_weight,
    onet_tasks.task_id is not null as is_in_onet_29_3,
    onet_tasks.task_type as onet_29_3_task_type,
    onet_tasks.task_id is not null
        and coalesce(labels.task_type, 'none') <> coalesce(onet_tasks.task_type, 'none') as is_task_type_changed,
    onet_tasks.task_id is not null and labels.task <> onet_tasks.task as is_task_statement_changed,
    labels._source_sha256 as source_sha256
from labels
cross join weights
left join onet_tasks
    on onet_tasks.task_id = labels.task_id
