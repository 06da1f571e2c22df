-- One row per National Employment Matrix occupation of the BLS projections 2024-34, with its SOC
-- 2018 code repaired where the republished file mangled it (A116): the 35 management codes ending
-- in 00 get the SOC 2018 detailed code whose title equals theirs (case-insensitive). A code whose
-- title matches no detailed code, or more than one, stays as published with is_code_repaired false.
with projections as (
    select * from {{ ref('stg_bls__employment_projections') }}
),

detailed_titles as (
    select
        lower(trim(soc2018_title)) as title_key,
        min(soc2018_code) as soc2018_code,
        count(*) as codes
    from {{ ref('stg_bls__soc2018_codes') }}
    where soc_level = 'detailed'
    group by lower(trim(soc2018_title))
),

flagged as (
    select
        projections.*,
        projections.soc2018_code like '__-__00' as is_code_mangled
    from projections
)

select
    case
        when flagged.is_code_mangled and detailed_titles.codes = 1 then detailed_titles.soc2018_code
        else flagged.soc2018_code
    end as nem_code,
    flagged.soc2018_title as nem_title,
    flagged.soc2018_code as published_code,
    flagged.is_code_mangled,
    coalesce(flagged.is_code_mangled and detailed_titles.codes = 1, false) as is_code_repaired,
    flagged.employment_2024_thousands,
    flagged.employment_2034_thousands,
    flagged.employment_change_24to34_thousands,
    flagged.employment_change_24to34_percent,
    flagged.median_annual_wage_2024,
    flagged.typical_entry_level_edu,
    flagged._source_sha256 as source_sha256
from flagged
left join detailed_titles
    on detailed_titles.title_key = lower(trim(flagged.soc2018_title))
    and flagged.is_code_mangled
