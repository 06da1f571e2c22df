-- One row per O*NET-SOC 2019 occupation: its BLS projected employment 2024-34, through BLS's own
-- O*NET-SOC to National Employment Matrix crosswalk, with the NEM code repaired by title where the
-- republished projections file mangled it (A116). Occupations whose NEM code has no projection
-- keep their row with null figures and a reason. is_non_declining is the redeployment rule A115.
with occupations as (
    select onet_soc_code, occupation_title, job_zone
    from {{ ref('dim_occupation') }}
),

crosswalk as (
    select onet_soc_code, nem_code, nem_title
    from {{ ref('stg_bls__onet_soc_to_soc') }}
),

projections as (
    select * from {{ ref('int_bls_projections__repaired') }}
)

select
    occupations.onet_soc_code,
    occupations.occupation_title,
    occupations.job_zone,
    crosswalk.nem_code,
    coalesce(projections.nem_title, crosswalk.nem_title) as nem_title,
    projections.employment_2024_thousands,
    projections.employment_2034_thousands,
    projections.employment_change_24to34_thousands,
    projections.employment_change_24to34_percent,
    projections.median_annual_wage_2024 as median_annual_wage_usd_2024,
    case
        when projections.employment_change_24to34_thousands is not null
            then projections.employment_change_24to34_thousands >= 0
    end as is_non_declining,
    coalesce(projections.is_code_repaired, false) as is_nem_code_repaired,
    case
        when crosswalk.nem_code is null then 'no NEM code in the BLS O*NET-SOC crosswalk'
        when projections.nem_code is null then 'the NEM code has no projection'
    end as projection_null_reason,
    'A115,A116' as assumption_ids,
    projections.source_sha256
from occupations
left join crosswalk
    on crosswalk.onet_soc_code = occupations.onet_soc_code
left join projections
    on projections.nem_code = crosswalk.nem_code
