-- Every assumption whose value is a number has a low and a high around it (the random seed, which
-- is not a quantity, aside): the sensitivity table and the reader of the register rely on it.
with numeric as (
    select
        assumption_id,
        unit,
        try_cast(value as double) as number,  -- DuckDB and Spark SQL both have try_cast
        low,
        high
    from {{ ref('assumptions') }}
)

select assumption_id, number, low, high
from numeric
where number is not null
    and unit <> 'seed'
    and (low is null or high is null or low > number or high < number)
