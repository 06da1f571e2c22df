{{ config(meta={'dagster': {'ref': {'name': 'fct_occupation_automation_measure'}}}) }}
-- An extensive measure (a mass, e.g. a share of all conversations) is carried with split_weight,
-- so its total over occupations must equal its total over the native codes that resolved to a
-- crosswalk code: nothing invented, nothing lost.
with native_totals as (
    select
        measure_values.measure_id,
        sum(measure_values.raw_value) as native_total
    from {{ ref('int_measure_values__normalised') }} as measure_values
    inner join (
        select distinct measure_id, native_code
        from {{ ref('int_measure_codes__resolved') }}
        where code is not null
    ) as resolved
        on resolved.measure_id = measure_values.measure_id
        and resolved.native_code = measure_values.native_code
    where measure_values.quantity_kind = 'extensive'
    group by measure_values.measure_id
),

occupation_totals as (
    select
        measure_id,
        sum(raw_value) as occupation_total
    from {{ ref('fct_occupation_automation_measure') }}
    where quantity_kind = 'extensive'
    group by measure_id
)

select
    native_totals.measure_id,
    native_totals.native_total,
    occupation_totals.occupation_total
from native_totals
left join occupation_totals
    on occupation_totals.measure_id = native_totals.measure_id
where occupation_totals.occupation_total is null
    or abs(occupation_totals.occupation_total - native_totals.native_total)
        > 1e-9 * abs(native_totals.native_total)
