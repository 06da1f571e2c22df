-- One row per automation measure: how many O*NET-SOC 2019 occupations of dim_occupation it
-- reaches directly, through each crosswalk path, and not at all; how fully (coverage_share); and
-- how many of its native codes resolved to a crosswalk code (int_measure_codes__resolved).
with measures as (
    select
        measure_id,
        native_classification,
        source_dataset
    from {{ ref('measures') }}
),

occupations as (
    select
        onet_soc_code,
        oews_employment_2024,
        is_without_task_statements
    from {{ ref('dim_occupation') }}
),

occupation_totals as (
    select
        cast(count(*) as bigint) as occupations_total,
        cast(sum(case when not is_without_task_statements then 1 else 0 end) as bigint)
            as occupations_with_tasks,
        cast(sum(oews_employment_2024) as double) as employment_total
    from occupations
),

reached as (
    select
        facts.measure_id,
        cast(sum(case when facts.crosswalk_path = 'direct' then 1 else 0 end) as bigint) as occupations_direct,
        cast(sum(case when facts.crosswalk_path = 'soc2018' then 1 else 0 end) as bigint) as occupations_via_soc2018,
        cast(sum(case when facts.crosswalk_path = 'soc2010' then 1 else 0 end) as bigint) as occupations_via_soc2010,
        cast(sum(case when facts.crosswalk_path = 'isco08' then 1 else 0 end) as bigint) as occupations_via_isco08,
        cast(sum(case when facts.crosswalk_path = 'onet_soc2010' then 1 else 0 end) as bigint)
            as occupations_via_onet_soc2010,
        cast(count(*) as bigint) as occupations_reached,
        cast(sum(case when not occupations.is_without_task_statements then 1 else 0 end) as bigint)
            as occupations_with_tasks_reached,
        cast(sum(case when facts.coverage_share >= 1 - 1e-9 then 1 else 0 end) as bigint)
            as occupations_fully_covered,
        cast(avg(facts.coverage_share) as double) as mean_coverage_share,
        cast(sum(occupations.oews_employment_2024) as double) as employment_reached
    from {{ ref('fct_occupation_automation_measure') }} as facts
    inner join occupations
        on occupations.onet_soc_code = facts.onet_soc_code
    group by facts.measure_id
),

native_codes as (
    select
        measure_id,
        cast(count(distinct native_code) as bigint) as native_codes_total,
        cast(count(distinct case when resolution = 'exact' then native_code end) as bigint)
            as native_codes_exact,
        cast(count(distinct case when resolution not in ('exact', 'unmatched') then native_code end) as bigint)
            as native_codes_expanded_or_matched,
        cast(count(distinct case when resolution = 'unmatched' then native_code end) as bigint)
            as native_codes_unmatched
    from {{ ref('int_measure_codes__resolved') }}
    group by measure_id
)

select
    measures.measure_id,
    measures.source_dataset,
    measures.native_classification,
    occupation_totals.occupations_total,
    coalesce(reached.occupations_reached, cast(0 as bigint)) as occupations_reached,
    coalesce(reached.occupations_direct, cast(0 as bigint)) as occupations_direct,
    coalesce(reached.occupations_via_soc2018, cast(0 as bigint)) as occupations_via_soc2018,
    coalesce(reached.occupations_via_soc2010, cast(0 as bigint)) as occupations_via_soc2010,
    coalesce(reached.occupations_via_isco08, cast(0 as bigint)) as occupations_via_isco08,
    coalesce(reached.occupations_via_onet_soc2010, cast(0 as bigint)) as occupations_via_onet_soc2010,
    occupation_totals.occupations_total - coalesce(reached.occupations_reached, cast(0 as bigint))
        as occupations_not_reached,
    occupation_totals.occupations_with_tasks,
    coalesce(reached.occupations_with_tasks_reached, cast(0 as bigint)) as occupations_with_tasks_reached,
    coalesce(reached.occupations_fully_covered, cast(0 as bigint)) as occupations_fully_covered,
    reached.mean_coverage_share,
    cast(coalesce(reached.employment_reached, 0) / occupation_totals.employment_total as double)
        as employment_reached_share,
    coalesce(native_codes.native_codes_total, cast(0 as bigint)) as native_codes_total,
    coalesce(native_codes.native_codes_exact, cast(0 as bigint)) as native_codes_exact,
    coalesce(native_codes.native_codes_expanded_or_matched, cast(0 as bigint)) as native_codes_expanded_or_matched,
    coalesce(native_codes.native_codes_unmatched, cast(0 as bigint)) as native_codes_unmatched
from measures
cross join occupation_totals
left join reached
    on reached.measure_id = measures.measure_id
left join native_codes
    on native_codes.measure_id = measures.measure_id
