-- One row per country (IT, UK), year and ISCO-08 automation measure: the employment-weighted mean
-- of the measure over the ISCO-08 minor groups (exposure of the country's employment), with the
-- employment it rests on and its share of all employment in the source table. Italy and the UK
-- side by side; is_headline_year marks the year of A118.
with groups as (
    select * from {{ ref('fct_isco_employment_exposure') }}
),

headline as (
    select cast(value as integer) as headline_year
    from {{ ref('assumptions') }}
    where parameter = 'isco_exposure_year'
)

select
    groups.country_code,
    groups.year,
    groups.measure_id,
    cast(
        sum(case when groups.value_01 is not null then groups.employment_thousands * groups.value_01 end)
        / nullif(sum(case when groups.value_01 is not null then groups.employment_thousands end), 0)
        as double
    ) as employment_weighted_value_01,
    cast(
        sum(case when groups.value_01 is not null then groups.employment_thousands * groups.raw_value end)
        / nullif(sum(case when groups.value_01 is not null then groups.employment_thousands end), 0)
        as double
    ) as employment_weighted_raw_value,
    cast(sum(case when groups.value_01 is not null then groups.employment_thousands end) as double)
        as employment_covered_thousands,
    cast(sum(groups.employment_thousands) as double) as employment_total_thousands,
    cast(
        sum(case when groups.value_01 is not null then groups.employment_thousands end)
        / nullif(sum(groups.employment_thousands), 0)
        as double
    ) as employment_coverage_share,
    cast(count(case when groups.value_01 is not null and groups.employment_thousands is not null then 1 end) as bigint)
        as minor_groups_used,
    coalesce(groups.year = max(headline.headline_year), false) as is_headline_year,
    'A117,A118' as assumption_ids
from groups
cross join headline
group by groups.country_code, groups.year, groups.measure_id
