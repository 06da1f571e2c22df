{{ config(meta={'dagster': {'ref': {'name': 'fct_measure_coverage'}}}) }}
-- Every occupation is counted once per measure: reached directly or through one crosswalk path,
-- or not reached; the counts in fct_measure_coverage must add up to dim_occupation's rows.
select
    coverage.measure_id,
    coverage.occupations_total,
    coverage.occupations_reached,
    coverage.occupations_not_reached
from {{ ref('fct_measure_coverage') }} as coverage
cross join (select count(*) as occupations from {{ ref('dim_occupation') }}) as dim
where coverage.occupations_total <> dim.occupations
    or coverage.occupations_reached + coverage.occupations_not_reached <> coverage.occupations_total
    or coverage.occupations_direct + coverage.occupations_via_soc2018 + coverage.occupations_via_soc2010
        + coverage.occupations_via_isco08 + coverage.occupations_via_onet_soc2010
        <> coverage.occupations_reached
