-- One row per task of the Eloundou et al. (2024) label file: the published exposure and automation
-- labels, the task scores derived from them (alpha, beta, gamma, automation 0-1), the task's weight
-- under the file's own Task Type and how the task compares with O*NET 29.3.
select
    task_id,
    onet_soc_code,
    gpt4_exposure_label,
    gpt4_exposure_alt_rubric_label,
    human_exposure_label,
    gpt4_automation_label,
    is_gpt3_relevant,
    gpt4_alpha,
    gpt4_beta,
    gpt4_gamma,
    human_alpha,
    human_beta,
    human_gamma,
    gpt4_automation_01,
    label_task_type,
    label_task_weight,
    is_in_onet_29_3,
    onet_29_3_task_type,
    is_task_type_changed,
    is_task_statement_changed,
    source_sha256
from {{ ref('int_task_exposure__scored') }}
