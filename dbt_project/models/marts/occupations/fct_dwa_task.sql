-- One row per O*NET detailed work activity (DWA) and task that performs it: the task's occupation,
-- its weight within the DWA (core 2, supplemental 1, untyped 1 as in A030-A032, normalised to sum
-- to 1 per DWA) and the task-level labels of Eloundou et al. where the task has them. The
-- production model (scoring/production.py) reaches tasks and occupations from activities this way.
-- The share of the occupation's US employment that works in government (OEWS May 2025, federal,
-- state and local government excluding schools, hospitals and the postal service) tells which
-- work public administrations do: the text match of a service's domain work keeps to DWAs whose
-- occupations are in government at least as much as all occupations are (A218).
with links as (
    select distinct
        o_net_soc_code as onet_soc_code,
        task_id,
        dwa_id
    from {{ ref('stg_onet__tasks_to_dwas') }}
),

dwas as (
    select dwa_id, dwa_title, iwa_id, iwa_title, _source_sha256
    from {{ ref('stg_onet__dwa_reference') }}
),

tasks as (
    select * from {{ ref('dim_task') }}
),

exposure as (
    select * from {{ ref('fct_task_exposure') }}
),

nesta as (
    -- Nesta's impact of each DWA on automation risk, min-max rescaled over its file to [0, 1]
    select
        lower(detailed_work_activity) as dwa_title_lower,
        (impact - min(impact) over ()) / (max(impact) over () - min(impact) over ()) as nesta_dwa_impact_01
    from {{ ref('stg_nesta__dwa_impact') }}
),

microsoft as (
    select iwa as iwa_id, completion_x_scope_x_coverage_ai as microsoft_iwa_applicability
    from {{ ref('stg_microsoft__iwa_metrics') }}
),

government as (
    select
        occ_code_soc2018,
        max(case when industry_code = '999000' then tot_emp end) as government_employment,
        max(case when industry_code = '000000' then tot_emp end) as all_employment
    from {{ ref('stg_bls__oews_government_2025') }}
    where industry_code in ('000000', '999000')
    group by occ_code_soc2018
),

government_share as (
    select
        occ_code_soc2018,
        case
            when all_employment > 0 and government_employment is not null
                then cast(government_employment as double) / all_employment
        end as government_share
    from government
),

weighted as (
    select
        links.dwa_id,
        links.task_id,
        links.onet_soc_code,
        tasks.task_statement,
        tasks.task_type,
        tasks.task_weight,
        sum(tasks.task_weight) over (partition by links.dwa_id) as dwa_weight_total
    from links
    inner join tasks
        on tasks.task_id = links.task_id
        and tasks.onet_soc_code = links.onet_soc_code
)

select
    weighted.dwa_id,
    dwas.dwa_title,
    dwas.iwa_id,
    dwas.iwa_title,
    weighted.task_id,
    weighted.onet_soc_code,
    weighted.task_statement,
    weighted.task_type,
    cast(weighted.task_weight / weighted.dwa_weight_total as double) as task_weight_in_dwa,
    exposure.gpt4_beta,
    exposure.human_beta,
    exposure.gpt4_automation_01,
    exposure.gpt4_automation_label,
    case
        when exposure.gpt4_automation_label is null then cast(null as boolean)
        else exposure.gpt4_automation_label in ('T3', 'T4')
    end as is_routine_task,
    nesta.nesta_dwa_impact_01,
    microsoft.microsoft_iwa_applicability,
    occupation.government_share as occupation_government_share,
    all_occupations.government_share as all_occupations_government_share,
    dwas._source_sha256 as source_sha256
from weighted
inner join dwas
    on dwas.dwa_id = weighted.dwa_id
left join exposure
    on exposure.task_id = weighted.task_id
left join nesta
    on nesta.dwa_title_lower = lower(dwas.dwa_title)
left join microsoft
    on microsoft.iwa_id = dwas.iwa_id
left join government_share as occupation
    on occupation.occ_code_soc2018 = substring(weighted.onet_soc_code, 1, 7)
cross join (
    select government_share from government_share where occ_code_soc2018 = '00-0000'
) as all_occupations
