-- One row per automation measure, native code and crosswalk code the native code resolves to (or
-- one row with a null code when it resolves to none). The crosswalk codes are those of
-- int_occupation_codes__linked (the O*NET-SOC 2019 code itself for direct measures). Resolution
-- steps, each used only for native codes the previous steps left unresolved, and never onto a
-- code that has a value of its own in the same measure:
--   exact                    the native code is a crosswalk code.
--   oews_aggregate_expanded  SOC 2018 codes as OEWS publishes them (e.g. 13-1020): the SOC 2018
--                            codes of the occupations BLS files under that OEWS code (nem_code).
--   soc_group_expanded       a SOC broad or minor group (29-1060, 25-1000): every crosswalk code
--                            under it.
--   title_matched            a SOC 2010 code unknown to SOC 2010 (Frey and Osborne use OES codes
--                            such as 29-1111, 15-1799): the SOC 2010 code with the same title,
--                            ignoring case and the BLS ' (#)' marker.
--   hybrid_expanded          an OES hybrid code (Frey and Osborne's 13-1078, 15-1179, 29-2037,
--                            39-4831): the SOC 2010 codes its title names (seeds
--                            soc2010_hybrid_codes, A119).
--   unmatched                none of these; code is null and the value reaches no occupation.
-- code_split_share divides a native code equally among the codes it resolves to (it is used only
-- for extensive measures, whose mass must not be counted twice).
with native as (
    select distinct
        measure_id,
        native_classification,
        native_code,
        native_title,
        case native_classification
            when 'onet_soc_2019' then 'direct'
            when 'onet_soc_2010' then 'onet_soc2010'
            else native_classification
        end as crosswalk_path
    from {{ ref('int_measure_values__collected') }}
),

targets as (
    select distinct
        classification as crosswalk_path,
        code
    from {{ ref('int_occupation_codes__linked') }}

    union all

    select
        'direct' as crosswalk_path,
        o_net_soc_code as code
    from {{ ref('stg_onet__occupation_data') }}
),

exact as (
    select
        native.measure_id,
        native.native_code,
        native.crosswalk_path,
        targets.code,
        'exact' as resolution
    from native
    inner join targets
        on targets.crosswalk_path = native.crosswalk_path
        and targets.code = native.native_code
),

after_exact as (
    select native.*
    from native
    left join exact
        on exact.measure_id = native.measure_id
        and exact.native_code = native.native_code
    where exact.native_code is null
),

oews_aggregates as (
    select distinct
        nem_code,
        substring(onet_soc_code, 1, 7) as code
    from {{ ref('stg_bls__onet_soc_to_soc') }}
    where nem_code <> substring(onet_soc_code, 1, 7)
),

aggregate_expanded as (
    select
        after_exact.measure_id,
        after_exact.native_code,
        after_exact.crosswalk_path,
        oews_aggregates.code,
        'oews_aggregate_expanded' as resolution
    from after_exact
    inner join oews_aggregates
        on oews_aggregates.nem_code = after_exact.native_code
    inner join targets
        on targets.crosswalk_path = after_exact.crosswalk_path
        and targets.code = oews_aggregates.code
    left join exact as own
        on own.measure_id = after_exact.measure_id
        and own.code = oews_aggregates.code
    where after_exact.crosswalk_path = 'soc2018'
        and own.code is null
),

after_aggregate as (
    {{ not_resolved_by('after_exact', 'aggregate_expanded') }}
),

group_expanded as (
    select
        after_aggregate.measure_id,
        after_aggregate.native_code,
        after_aggregate.crosswalk_path,
        targets.code,
        'soc_group_expanded' as resolution
    from after_aggregate
    inner join targets
        on targets.crosswalk_path = after_aggregate.crosswalk_path
        and substring(targets.code, 1, length({{ soc_group_prefix('after_aggregate.native_code') }}))
            = {{ soc_group_prefix('after_aggregate.native_code') }}
    left join exact as own
        on own.measure_id = after_aggregate.measure_id
        and own.code = targets.code
    where after_aggregate.crosswalk_path in ('soc2010', 'soc2018')
        and own.code is null
),

after_group as (
    {{ not_resolved_by('after_aggregate', 'group_expanded') }}
),

soc2010_titles as (
    select distinct
        soc2010_code,
        lower(trim({{ dbt.replace('soc2010_title', "' (#)'", "''") }})) as title_key
    from {{ ref('stg_bls__soc2010_to_soc2018') }}
),

title_matched as (
    select
        after_group.measure_id,
        after_group.native_code,
        after_group.crosswalk_path,
        soc2010_titles.soc2010_code as code,
        'title_matched' as resolution
    from after_group
    inner join soc2010_titles
        on soc2010_titles.title_key = lower(trim(after_group.native_title))
    inner join targets
        on targets.crosswalk_path = after_group.crosswalk_path
        and targets.code = soc2010_titles.soc2010_code
    left join exact as own
        on own.measure_id = after_group.measure_id
        and own.code = soc2010_titles.soc2010_code
    where after_group.crosswalk_path = 'soc2010'
        and own.code is null
),

after_title as (
    {{ not_resolved_by('after_group', 'title_matched') }}
),

hybrid_expanded as (
    select
        after_title.measure_id,
        after_title.native_code,
        after_title.crosswalk_path,
        hybrids.soc2010_code as code,
        'hybrid_expanded' as resolution
    from after_title
    inner join {{ ref('soc2010_hybrid_codes') }} as hybrids
        on hybrids.hybrid_code = after_title.native_code
    inner join targets
        on targets.crosswalk_path = after_title.crosswalk_path
        and targets.code = hybrids.soc2010_code
    left join exact as own
        on own.measure_id = after_title.measure_id
        and own.code = hybrids.soc2010_code
    where after_title.crosswalk_path = 'soc2010'
        and own.code is null
),

unmatched as (
    select
        after_title.measure_id,
        after_title.native_code,
        after_title.crosswalk_path,
        cast(null as {{ dbt.type_string() }}) as code,
        'unmatched' as resolution
    from after_title
    left join (select distinct measure_id, native_code from hybrid_expanded) as resolved
        on resolved.measure_id = after_title.measure_id
        and resolved.native_code = after_title.native_code
    where resolved.native_code is null
),

resolved as (
    select * from exact
    union all select * from aggregate_expanded
    union all select * from group_expanded
    union all select * from title_matched
    union all select * from hybrid_expanded
    union all select * from unmatched
)

select
    measure_id,
    native_code,
    crosswalk_path,
    code,
    resolution,
    case
        when code is not null
            then cast(1 as double) / count(*) over (partition by measure_id, native_code)
    end as code_split_share
from resolved
