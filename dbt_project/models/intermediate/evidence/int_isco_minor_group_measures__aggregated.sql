-- One row per ISCO-08 automation measure (native classification isco08: routine task intensity,
-- ILO 2025, Nesta risk) and ISCO-08 minor group (3 digits): the unweighted mean of the measure over
-- the group's unit groups (A117), in [0, 1] (value_01) and in the measure's own unit (raw_value),
-- with the number of unit groups it rests on.
with unit_groups as (
    select *
    from {{ ref('int_measure_values__normalised') }}
    where native_classification = 'isco08'
      and length(native_code) = 4
      and value_01 is not null
)

select
    measure_id,
    substring(native_code, 1, 3) as isco08_minor_group,
    cast(avg(value_01) as double) as value_01,
    cast(avg(raw_value) as double) as raw_value,
    cast(count(*) as bigint) as unit_groups_measured,
    max(source_sha256) as source_sha256
from unit_groups
group by measure_id, substring(native_code, 1, 3)
