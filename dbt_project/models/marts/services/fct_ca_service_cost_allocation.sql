-- One row per Canadian service and fiscal year of marts.fct_ca_service: its share of its
-- programmes' actual spending (CAD, nominal) and FTEs, allocated in proportion to applications
-- (A001), and the cost per application. Only services with a positive number of applications take
-- a share; every other service stays with null figures and the reason, so no service is dropped and
-- no programme money is invented or lost: wherever a programme has services with volumes, the
-- shares of its spending add back to its spending (tests/ca_allocation_conserves_programme_spending).
-- A programme reporting zero or negative spending (net of revenue) has none to allocate: its
-- services get null spending with that reason, never a negative cost; its FTE are still shared.
-- The top-down reference behind marts.fct_service_cost; the model's own cost is bottom up.
with links as (
    select
        service_key,
        service_id,
        fiscal_year,
        programme_id,
        organisation_id,
        is_programme_matched,
        cast(applications_total as double) as applications_total,
        coalesce(applications_total, 0) > 0 as has_volume,
        coalesce(programme_actual_spending_cad <= 0, false) as is_net_spending,
        case when programme_actual_spending_cad > 0 then programme_actual_spending_cad end as spending_cad,
        programme_actual_fte
    from {{ ref('fct_ca_service_programme') }}
),

services as (
    select service_key, service_id, fiscal_year, applications_total
    from {{ ref('fct_ca_service') }}
),

matched as (
    select * from links where is_programme_matched
),

programme_applications as (
    select fiscal_year, organisation_id, programme_id, sum(applications_total) as applications
    from matched
    where has_volume
    group by fiscal_year, organisation_id, programme_id
),

shares as (
    select
        matched.*,
        case
            when matched.has_volume and totals.applications > 0
                then matched.applications_total / totals.applications
        end as allocation_share
    from matched
    left join programme_applications as totals
        on totals.fiscal_year = matched.fiscal_year
        and totals.organisation_id = matched.organisation_id
        and totals.programme_id = matched.programme_id
),

per_service as (
    select
        service_key,
        fiscal_year,
        sum(allocation_share * spending_cad) as allocated_spending_cad,
        sum(allocation_share * programme_actual_fte) as allocated_fte,
        max(case when spending_cad is not null then 1 else 0 end) = 1 as has_spending,
        max(case when is_net_spending then 1 else 0 end) = 1 as has_net_spending,
        count(*) as matched_programmes
    from shares
    group by service_key, fiscal_year
),

listed as (
    select
        service_key,
        service_id,
        fiscal_year,
        max(applications_total) as applications_total,
        count(distinct programme_id) as listed_programmes
    from links
    group by service_key, service_id, fiscal_year
),

reasoned as (
    select
        listed.service_key,
        listed.service_id,
        listed.fiscal_year,
        listed.applications_total,
        listed.listed_programmes,
        coalesce(per_service.matched_programmes, 0) as matched_programmes,
        per_service.allocated_spending_cad,
        per_service.allocated_fte,
        case
            when coalesce(per_service.matched_programmes, 0) = 0
                then 'no programme of the service was found in rbpo.csv for the fiscal year'
            when listed.applications_total is null
                then 'applications not reported (NA/ND/missing), so no volume to allocate by'
            when listed.applications_total = 0
                then 'zero applications reported, so no volume to allocate by'
            when not coalesce(per_service.has_spending, false) and coalesce(per_service.has_net_spending, false)
                then 'the matched programmes report zero or negative actual spending (net of revenue), so there is no spending to allocate'
            when not coalesce(per_service.has_spending, false)
                then 'the matched programmes report no actual spending for the fiscal year'
        end as cost_null_reason
    from listed
    left join per_service
        on per_service.service_key = listed.service_key
        and per_service.fiscal_year = listed.fiscal_year
),

allocated as (
    select
        service_key,
        service_id,
        fiscal_year,
        applications_total,
        listed_programmes,
        matched_programmes,
        case when cost_null_reason is null then allocated_spending_cad end as allocated_spending_cad,
        -- FTE are shared wherever there is a volume to share them by, even when spending is net
        case
            when cost_null_reason is null or cost_null_reason like 'the matched programmes report zero or negative%'
                then allocated_fte
        end as allocated_fte,
        cost_null_reason
    from reasoned
),

unlinked as (
    select
        services.service_key,
        services.service_id,
        services.fiscal_year,
        cast(services.applications_total as double) as applications_total,
        0 as listed_programmes,
        0 as matched_programmes,
        cast(null as double) as allocated_spending_cad,
        cast(null as double) as allocated_fte,
        'the service lists no programme' as cost_null_reason
    from services
    left join listed
        on listed.service_key = services.service_key
        and listed.fiscal_year = services.fiscal_year
    where listed.service_key is null
)

select
    service_key,
    service_id,
    fiscal_year,
    cast(applications_total as bigint) as applications_total,
    cast(listed_programmes as bigint) as listed_programmes,
    cast(matched_programmes as bigint) as matched_programmes,
    cast(allocated_spending_cad as double) as allocated_spending_cad,
    cast(allocated_fte as double) as allocated_fte,
    cast(allocated_spending_cad / applications_total as double) as cost_per_application_cad,
    cost_null_reason,
    'A001' as assumption_id
from (
    select * from allocated
    union all
    select * from unlinked
) as services_allocated
