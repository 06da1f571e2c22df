-- One row per O*NET-SOC 2019 occupation and automation measure that reaches it (long). Measures
-- native to O*NET-SOC 2019 (Eloundou et al.) are used directly; the others are carried through
-- bridge_occupation_code from their native codes (resolved in int_measure_codes__resolved):
--   intensive measures: value = sum(share_weight x code value) / coverage_share, the weighted mean
--     over the occupation's codes that have a value;
--   extensive measures (a mass): value = sum(split_weight x code value), so that the total over
--     occupations equals the total over the codes that reach one.
-- coverage_share = sum of share_weight over the occupation's codes that have a value (direct
-- measures: the share of the occupation's task weight that carries labels).
with measures as (
    select
        measure_id,
        source_dataset,
        native_classification,
        quantity_kind,
        transformation,
        assumption_ids
    from {{ ref('measures') }}
),

measure_values as (
    select
        measure_id,
        native_code,
        raw_value,
        value_01,
        native_coverage_share,
        source_sha256
    from {{ ref('int_measure_values__normalised') }}
),

resolved as (
    select
        measure_id,
        native_code,
        crosswalk_path,
        code,
        code_split_share
    from {{ ref('int_measure_codes__resolved') }}
    where code is not null
),

bridge as (
    select
        onet_soc_code,
        classification,
        code,
        split_weight,
        share_weight
    from {{ ref('bridge_occupation_code') }}
),

-- One value per measure and crosswalk code: a code reached from several native codes (through
-- group or aggregate expansion) takes their mean (intensive) or their summed mass (extensive).
code_values as (
    select
        resolved.measure_id,
        resolved.crosswalk_path,
        resolved.code,
        case
            when measures.quantity_kind = 'extensive'
                then sum(measure_values.raw_value * resolved.code_split_share)
            else avg(measure_values.raw_value)
        end as raw_value,
        case
            when measures.quantity_kind = 'extensive'
                then sum(measure_values.value_01 * resolved.code_split_share)
            else avg(measure_values.value_01)
        end as value_01,
        max(measure_values.native_coverage_share) as native_coverage_share,
        max(measure_values.source_sha256) as source_sha256
    from resolved
    inner join measure_values
        on measure_values.measure_id = resolved.measure_id
        and measure_values.native_code = resolved.native_code
    inner join measures
        on measures.measure_id = resolved.measure_id
    group by resolved.measure_id, resolved.crosswalk_path, resolved.code, measures.quantity_kind
),

direct as (
    select
        code as onet_soc_code,
        measure_id,
        raw_value,
        value_01,
        'direct' as crosswalk_path,
        native_coverage_share as coverage_share,
        cast(1 as bigint) as contributing_code_count,
        source_sha256
    from code_values
    where crosswalk_path = 'direct'
),

carried as (
    select
        bridge.onet_soc_code,
        code_values.measure_id,
        code_values.crosswalk_path,
        measures.quantity_kind,
        sum(bridge.share_weight * code_values.raw_value) as share_weighted_raw,
        sum(bridge.share_weight * code_values.value_01) as share_weighted_01,
        sum(bridge.split_weight * code_values.raw_value) as split_weighted_raw,
        sum(bridge.split_weight * code_values.value_01) as split_weighted_01,
        sum(bridge.share_weight) as coverage_share,
        count(*) as contributing_code_count,
        max(code_values.source_sha256) as source_sha256
    from code_values
    inner join bridge
        on bridge.classification = code_values.crosswalk_path
        and bridge.code = code_values.code
    inner join measures
        on measures.measure_id = code_values.measure_id
    where code_values.crosswalk_path <> 'direct'
    group by bridge.onet_soc_code, code_values.measure_id, code_values.crosswalk_path, measures.quantity_kind
),

crosswalked as (
    select
        onet_soc_code,
        measure_id,
        case
            when quantity_kind = 'extensive' then split_weighted_raw
            else share_weighted_raw / coverage_share
        end as raw_value,
        case
            when quantity_kind = 'extensive' then split_weighted_01
            else share_weighted_01 / coverage_share
        end as value_01,
        crosswalk_path,
        coverage_share,
        cast(contributing_code_count as bigint) as contributing_code_count,
        source_sha256
    from carried
),

all_rows as (
    select * from direct
    union all
    select * from crosswalked
)

select
    all_rows.onet_soc_code,
    all_rows.measure_id,
    cast(all_rows.raw_value as double) as raw_value,
    -- Rounding in the weighted means can leave a value a few ulps outside [0, 1]; only such
    -- overshoots are pulled back, anything larger stays and fails the within_range test.
    cast(case
        when all_rows.value_01 < 0 and all_rows.value_01 > -1e-12 then 0
        when all_rows.value_01 > 1 and all_rows.value_01 < 1 + 1e-12 then 1
        else all_rows.value_01
    end as double) as value_01,
    measures.source_dataset,
    measures.native_classification,
    all_rows.crosswalk_path,
    cast(case
        when all_rows.coverage_share > 1 and all_rows.coverage_share < 1 + 1e-12 then 1
        else all_rows.coverage_share
    end as double) as coverage_share,
    all_rows.contributing_code_count,
    measures.quantity_kind,
    measures.transformation,
    measures.assumption_ids,
    all_rows.source_sha256
from all_rows
inner join measures
    on measures.measure_id = all_rows.measure_id
