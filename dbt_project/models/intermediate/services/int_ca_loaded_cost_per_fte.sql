-- One row per fiscal year: the loaded cost of one FTE in the Government of Canada, taken as
-- internal services' actual spending per actual FTE across all organisations (assumption A041).
select
    fiscal_year,
    cast(sum(actual_spending_cad) as double) as internal_services_spending_cad,
    cast(sum(actual_fte) as double) as internal_services_fte,
    cast(sum(actual_spending_cad) as double) / cast(sum(actual_fte) as double) as loaded_cost_per_fte_cad,
    cast(count(*) as bigint) as programmes,
    'A041' as assumption_id
from {{ ref('stg_tbs_canada__programme_spending') }}
where programme_id like 'ISS%'
    and actual_spending_cad is not null
    and actual_fte > 0
group by fiscal_year
