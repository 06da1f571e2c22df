{{ config(meta={'dagster': {'ref': {'name': 'fct_ca_service_cost_allocation'}}}) }}
-- One allocation row per Canadian service and fiscal year, no more and no fewer.
select coalesce(services.service_key, allocation.service_key) as service_key
from {{ ref('fct_ca_service') }} as services
full outer join {{ ref('fct_ca_service_cost_allocation') }} as allocation
    on allocation.service_key = services.service_key
    and allocation.fiscal_year = services.fiscal_year
where services.service_key is null or allocation.service_key is null
