-- One row per automation measure and native code: raw_value taken to [0, 1] (value_01) by the
-- measure's transformation_rule in seeds/measures.csv:
--   identity          value_01 = raw_value
--   rescale_minus1_1  value_01 = (raw_value + 1) / 2
--   min_max           value_01 = (raw_value - min) / (max - min), min and max over every code of
--                     the measure's source table (all rows of this model for the measure)
--   percent_to_share  value_01 = raw_value / 100
-- An unknown rule gives a null value_01, which the not_null test stops.
with measure_values as (
    select * from {{ ref('int_measure_values__collected') }}
),

measures as (
    select
        measure_id,
        quantity_kind,
        transformation_rule
    from {{ ref('measures') }}
),

ranged as (
    select
        measure_values.*,
        measures.quantity_kind,
        measures.transformation_rule,
        min(measure_values.raw_value) over (partition by measure_values.measure_id) as measure_min,
        max(measure_values.raw_value) over (partition by measure_values.measure_id) as measure_max
    from measure_values
    left join measures
        on measures.measure_id = measure_values.measure_id
)

select
    measure_id,
    native_classification,
    native_code,
    native_title,
    raw_value,
    cast(
        case transformation_rule
            when 'identity' then raw_value
            when 'rescale_minus1_1' then (raw_value + 1) / 2
            when 'min_max' then (raw_value - measure_min) / nullif(measure_max - measure_min, 0)
            when 'percent_to_share' then raw_value / 100
        end as double
    ) as value_01,
    quantity_kind,
    transformation_rule,
    item_count,
    native_coverage_share,
    source_sha256
from ranged
