{{ config(meta={'dagster': {'ref': {'name': 'fct_service_task'}}}) }}
-- Each service's task weights must sum to 1 (to 1e-9), and every service must have tasks.
with totals as (
    select service_key, fiscal_year, sum(task_weight_in_service) as total_weight
    from {{ ref('fct_service_task') }}
    group by service_key, fiscal_year
)

select services.service_key, services.fiscal_year, totals.total_weight
from {{ ref('dim_service') }} as services
left join totals
    on totals.service_key = services.service_key
    and totals.fiscal_year = services.fiscal_year
where totals.total_weight is null
    or abs(totals.total_weight - 1.0) > 1e-9
