-- One row per automation measure and code of its native classification: the value in the
-- measure's native unit (raw_value), read from each source's staging model. Task-level sources
-- are aggregated to their occupation codes here (ILO: mean of score_2025 over the unit group's
-- tasks; Anthropic: sum of pct_weighted over the occupation's tasks); the Eloundou et al. measures
-- come aggregated from int_occupation_exposure__aggregated. native_coverage_share is the share of
-- the occupation's task weight that had labels (Eloundou) and 1 elsewhere.
{#- sources published as one value per occupation code: (measure, staging model, code, title, value) -#}
{%- set one_value_per_code = [
    ('frey_osborne_probability', 'stg_frey_osborne__computerisation', 'soc_code', 'occupation', 'probability'),
    ('rti_mihaylov_tijdens', 'stg_mihaylov_tijdens__rti', 'isco08_code', 'isco08_title', 'rti'),
    ('felten_aioe', 'stg_felten__occupation', 'soc_code', 'occupation_title', 'aioe'),
    ('felten_lm_aioe', 'stg_felten__lm_occupation', 'soc_code', 'occupation_title', 'language_modeling_aioe'),
    ('microsoft_ai_applicability', 'stg_microsoft__soc_ai_applicability_scores', 'soc_code', 'title',
     'ai_applicability_score'),
    ('nesta_automation_risk', 'stg_nesta__isco_risk', 'isco_code', 'isco_unit_group', 'risk'),
] %}

with
{% for measure_id, model, code, title, value in one_value_per_code %}
{{ measure_id }} as (
    select
        '{{ measure_id }}' as measure_id,
        {{ code }} as native_code,
        {{ title }} as native_title,
        {{ value }} as raw_value,
        cast(1 as bigint) as item_count,
        cast(1 as double) as native_coverage_share,
        _source_sha256 as source_sha256
    from {{ ref(model) }}
),
{% endfor %}

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
    {% for measure_id, _model, _code, _title, _value in one_value_per_code %}
    select * from {{ measure_id }} union all
    {% endfor %}
    select * from ilo
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
