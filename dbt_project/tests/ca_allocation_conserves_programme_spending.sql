{{ config(meta={'dagster': {'ref': {'name': 'fct_ca_service_cost_allocation'}}}) }}
-- The Canadian cost allocation (A001) invents and loses nothing: recomputed here programme by
-- programme, each service's allocated spending equals the sum over its programmes of its share of
-- applications x the programme's positive actual spending, and every such programme's shares add
-- back to its spending (1e-6 relative). Returns the services and programmes that are off.
with links as (
    select
        service_key,
        fiscal_year,
        organisation_id,
        programme_id,
        cast(applications_total as double) as applications_total,
        programme_actual_spending_cad as spending
    from {{ ref('fct_ca_service_programme') }}
    where is_programme_matched
        and coalesce(applications_total, 0) > 0
        and programme_actual_spending_cad > 0
),

shares as (
    select
        links.*,
        links.applications_total
            / sum(links.applications_total) over (partition by fiscal_year, organisation_id, programme_id)
            * spending as share_spending
    from links
),

by_service as (
    select service_key, fiscal_year, sum(share_spending) as expected
    from shares
    group by service_key, fiscal_year
),

by_programme as (
    select fiscal_year, organisation_id, programme_id, sum(share_spending) as allocated, max(spending) as actual
    from shares
    group by fiscal_year, organisation_id, programme_id
)

select by_service.service_key as what, by_service.expected, allocation.allocated_spending_cad as found
from by_service
left join {{ ref('fct_ca_service_cost_allocation') }} as allocation
    on allocation.service_key = by_service.service_key
    and allocation.fiscal_year = by_service.fiscal_year
where abs(coalesce(allocation.allocated_spending_cad, 0) - by_service.expected)
    > 1e-6 * greatest(abs(by_service.expected), 1.0)

union all

select programme_id as what, actual as expected, allocated as found
from by_programme
where abs(allocated - actual) > 1e-6 * greatest(abs(actual), 1.0)
