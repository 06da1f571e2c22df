-- One row per country (IT, UK), year (2014-2018), ISCO-08 minor group and ISCO-08 automation
-- measure: employment in thousands (EU-LFS as tabulated by Nesta Mapping Career Causeways) and the
-- group's value of the measure (A117: unweighted mean of its unit groups). Groups the source masks
-- (small cells) or that no unit group of the measure covers keep their row with a null and a
-- reason, so that coverage can be read off.
with employment as (
    select 'IT' as country_code, isco_code, isco_minor_group, year, employment_thousands,
           _source_sha256 as employment_source_sha256
    from {{ ref('stg_nesta__ita_employment_by_isco') }}
    union all
    select 'UK' as country_code, isco_code, isco_minor_group, year, employment_thousands,
           _source_sha256 as employment_source_sha256
    from {{ ref('stg_nesta__uk_employment_by_isco') }}
),

measures as (
    select * from {{ ref('int_isco_minor_group_measures__aggregated') }}
),

measure_ids as (
    select distinct measure_id from measures
)

select
    employment.country_code,
    employment.year,
    employment.isco_code as isco08_minor_group,
    employment.isco_minor_group as isco08_minor_group_title,
    measure_ids.measure_id,
    employment.employment_thousands,
    measures.value_01,
    measures.raw_value,
    coalesce(measures.unit_groups_measured, cast(0 as bigint)) as unit_groups_measured,
    case
        when employment.employment_thousands is null then 'employment masked by the source (small cell)'
        when measures.value_01 is null then 'no unit group of the minor group has a value of the measure'
    end as null_reason,
    'A117' as assumption_ids,
    employment.employment_source_sha256,
    measures.source_sha256 as measure_source_sha256
from employment
cross join measure_ids
left join measures
    on measures.measure_id = measure_ids.measure_id
    and measures.isco08_minor_group = employment.isco_code
