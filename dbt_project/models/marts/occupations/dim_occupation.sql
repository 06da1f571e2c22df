-- One row per O*NET-SOC 2019 occupation of O*NET 29.3, with its SOC 2018, SOC 2010, O*NET-SOC
-- 2010 and ISCO-08 codes, job zone, OEWS May 2024 employment allocated to it (A033) and task counts.
with occupations as (
    select
        o_net_soc_code as onet_soc_code,
        title as occupation_title,
        description as occupation_description,
        _source_sha256 as source_sha256
    from {{ ref('stg_onet__occupation_data') }}
),

links as (
    select
        onet_soc_code,
        classification,
        code
    from {{ ref('int_occupation_codes__linked') }}
),

code_lists as (
    select
        onet_soc_code,
        {{ ordered_code_list("case when classification = 'soc2010' then code end") }} as soc2010_codes,
        {{ ordered_code_list("case when classification = 'isco08' then code end") }} as isco08_codes,
        {{ ordered_code_list("case when classification = 'onet_soc2010' then code end") }} as onet_soc2010_codes
    from links
    group by onet_soc_code
),

job_zones as (
    select
        o_net_soc_code as onet_soc_code,
        job_zone
    from {{ ref('stg_onet__job_zones') }}
),

employment as (
    select * from {{ ref('int_occupations__employment_allocated') }}
),

tasks as (
    select
        onet_soc_code,
        cast(count(*) as bigint) as task_count
    from {{ ref('int_tasks__weighted_by_occupation') }}
    group by onet_soc_code
),

labelled_tasks as (
    select
        onet_soc_code,
        cast(count(*) as bigint) as labelled_task_count
    from {{ ref('int_task_exposure__scored') }}
    group by onet_soc_code
)

select
    occupations.onet_soc_code,
    occupations.occupation_title,
    occupations.occupation_description,
    employment.soc2018_code,
    code_lists.soc2010_codes,
    code_lists.isco08_codes,
    code_lists.onet_soc2010_codes,
    cast(job_zones.job_zone as integer) as job_zone,
    employment.oews_code,
    employment.oews_title,
    employment.occupations_sharing_oews_code,
    employment.oews_employment_2024,
    employment.employment_source,
    coalesce(tasks.task_count, cast(0 as bigint)) as task_count,
    coalesce(labelled_tasks.labelled_task_count, cast(0 as bigint)) as labelled_task_count,
    tasks.task_count is null as is_without_task_statements,
    'A033' as employment_assumption_id,
    occupations.source_sha256
from occupations
left join code_lists
    on code_lists.onet_soc_code = occupations.onet_soc_code
left join job_zones
    on job_zones.onet_soc_code = occupations.onet_soc_code
left join employment
    on employment.onet_soc_code = occupations.onet_soc_code
left join tasks
    on tasks.onet_soc_code = occupations.onet_soc_code
left join labelled_tasks
    on labelled_tasks.onet_soc_code = occupations.onet_soc_code
