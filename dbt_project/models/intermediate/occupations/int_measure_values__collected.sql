-- One row per automation measure and code of its native classification: the value in the
-- measure's native unit (raw_value), read from each source's staging model. Task-level sources
-- are aggregated to their occupation codes here (ILO: mean of score_2025 over the unit group's
-- tasks; Anthropic: sum of pct_weighted over the occupation's tasks); the Eloundou et al. measures
-- come aggregated from int_occupation_exposure__aggregated. native_coverage_share is the share of
-- the occupation's task weight that had labels (Eloundou) and 1 elsewhere.
with frey_osborne as (
    select
        'frey_osborne_probability' as measure_id,
        soc_code as native_code,
        occupation as native_title,
        probability as raw_value,
        cast(1 as bigint) as item_count,
        cast(1 as double) as native_coverage_share,
        _source_sha256 as source_sha256
    from {{ ref('stg_frey_osborne__computerisation') }}
),

mihaylov_tijdens as (
    select
        'rti_mihaylov_tijdens' as measure_id,
        isco08_code as native_code,
        isco08_title as native_title,
        rti as raw_value,
        cast(1 as bigint) as item_count,
        cast(1 as double) as native_coverage_share,
        _source_sha256 as source_sha256
    from {{ ref('stg_mihaylov_tijdens__rti') }}
),

ilo as (
    select
        'ilo_genai_2025' as measure_id,
        isco_08 as native_code,
        max(title) as native_title,
        cast(avg(score_2025) as double) as raw_value,
        cast(count(*) as bigint) as item_count,
        cast(1 as double) as native_coverage_share,
        max(_source_sha256) as source_sha256
    from {{ ref('stg_ilo__genai_exposure_2025') }}
    group by isco_08
),

felten as (
    select
        'felten_aioe' as measure_id,
        soc_code as native_code,
        occupation_title as native_title,
        aioe as raw_value,
        cast(1 as bigint) as item_count,
        cast(1 as double) as native_coverage_share,
        _source_sha256 as source_sha256
    from {{ ref('stg_felten__occupation') }}
),

felten_lm as (
    select
        'felten_lm_aioe' as measure_id,
        soc_code as native_code,
        occupation_title as native_title,
        language_modeling_aioe as raw_value,
        cast(1 as bigint) as item_count,
        cast(1 as double) as native_coverage_share,
        _source_sha256 as source_sha256
    from {{ ref('stg_felten__lm_occupation') }}
),

microsoft as (
    select
        'microsoft_ai_applicability' as measure_id,
        soc_code as native_code,
        title as native_title,
        ai_applicability_score as raw_value,
        cast(1 as bigint) as item_count,
        cast(1 as double) as native_coverage_share,
        _source_sha256 as source_sha256
    from {{ ref('stg_microsoft__soc_ai_applicability_scores') }}
),

nesta as (
    select
        'nesta_automation_risk' as measure_id,
        isco_code as native_code,
        isco_unit_group as native_title,
        risk as raw_value,
        cast(1 as bigint) as item_count,
        cast(1 as double) as native_coverage_share,
        _source_sha256 as source_sha256
    from {{ ref('stg_nesta__isco_risk') }}
),

anthropic as (
    select
        'anthropic_usage_share' as measure_id,
        soc_code_2010 as native_code,
        max(title) as native_title,
        cast(sum(pct_weighted) as double) as raw_value,
        cast(count(*) as bigint) as item_count,
        cast(1 as double) as native_coverage_share,
        max(_source_sha256) as source_sha256
    from {{ ref('stg_anthropic__tasks_final') }}
    group by soc_code_2010
),

eloundou as (
    select
        exposure.measure_id,
        exposure.onet_soc_code as native_code,
        occupations.title as native_title,
        exposure.raw_value,
        exposure.labelled_task_count as item_count,
        exposure.task_weight_coverage_share as native_coverage_share,
        exposure.source_sha256
    from {{ ref('int_occupation_exposure__aggregated') }} as exposure
    inner join {{ ref('stg_onet__occupation_data') }} as occupations
        on occupations.o_net_soc_code = exposure.onet_soc_code
),

all_values as (
    select * from frey_osborne
    union all select * from mihaylov_tijdens
    union all select * from ilo
    union all select * from felten
    union all select * from felten_lm
    union all select * from microsoft
    union all select * from nesta
    union all select * from anthropic
    union all select * from eloundou
)

select
    all_values.measure_id,
    measures.native_classification,
    all_values.native_code,
    all_values.native_title,
    all_values.raw_value,
    all_values.item_count,
    all_values.native_coverage_share,
    all_values.source_sha256
from all_values
left join {{ ref('measures') }} as measures
    on measures.measure_id = all_values.measure_id
