-- One row per Conto Annuale job grade mapped to ISCO-08 and ISCO-08 automation measure (routine
-- task intensity, ILO 2025, Nesta risk): the value of the measure for the grade's ISCO-08 group,
-- taken from the unit group itself (4-digit map) or the mean of the minor group's unit groups
-- (3-digit map, A117). Ready to be weighted by the Conto Annuale staff table once it is landed.
with grades as (
    select * from {{ ref('dim_conto_annuale_qualifica') }}
    where isco08_code is not null
),

unit_values as (
    select measure_id, native_code as isco08_code, value_01, raw_value
    from {{ ref('int_measure_values__normalised') }}
    where native_classification = 'isco08' and length(native_code) = 4
),

minor_values as (
    select measure_id, isco08_minor_group as isco08_code, value_01, raw_value
    from {{ ref('int_isco_minor_group_measures__aggregated') }}
),

all_values as (
    select * from unit_values
    union all
    select * from minor_values
)

select
    grades.codi_contratto,
    grades.codi_categoria,
    grades.codi_qualifica,
    grades.desc_qualifica,
    grades.isco08_code,
    grades.isco08_level,
    grades.mapping_confidence,
    all_values.measure_id,
    all_values.value_01,
    all_values.raw_value,
    grades.assumption_id || case when grades.isco08_level = 'minor' then ',A117' else '' end
        as assumption_ids
from grades
inner join all_values
    on all_values.isco08_code = grades.isco08_code
