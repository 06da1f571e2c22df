-- One row per service, fiscal year and O*NET task: the task's weight in the service's labour time
-- (occupation share x task weight within the occupation; sums to 1 per service) and the task-level
-- exposure labels of Eloundou et al. where the task has them.
select
    occupations.service_key,
    occupations.fiscal_year,
    occupations.onet_soc_code,
    tasks.task_id,
    occupations.occupation_share,
    tasks.task_weight_in_occupation,
    occupations.occupation_share * tasks.task_weight_in_occupation as task_weight_in_service,
    exposure.gpt4_alpha,
    exposure.gpt4_beta,
    exposure.gpt4_gamma,
    exposure.human_beta,
    exposure.gpt4_automation_01,
    exposure.task_id is not null as has_exposure_labels
from {{ ref('fct_service_occupation') }} as occupations
inner join {{ ref('dim_task') }} as tasks
    on tasks.onet_soc_code = occupations.onet_soc_code
left join {{ ref('fct_task_exposure') }} as exposure
    on exposure.task_id = tasks.task_id
