-- One row per service and fiscal year: volume, total and labour cost in the service's own currency
-- and price year, FTE where known, cost per transaction and digital share. A figure that cannot be
-- known is null with its reason, never zero.
with services as (
    select
        dim.*,
        unioned.cost_per_transaction_native
    from {{ ref('dim_service') }} as dim
    inner join {{ ref('int_services__unioned') }} as unioned
        on unioned.service_key = dim.service_key
        and unioned.fiscal_year = dim.fiscal_year
),

assumptions as (
    select parameter, value from {{ ref('assumptions') }}
),

uk_labour_share as (
    select cast(value as double) as labour_share
    from assumptions where parameter = 'uk_labour_share_of_unit_cost'
),

ca_allocation as (
    select * from {{ ref('fct_ca_service_cost_allocation') }}
),

ca_fte_cost as (
    select * from {{ ref('int_ca_loaded_cost_per_fte') }}
),

uk as (
    select
        services.service_key,
        services.fiscal_year,
        'GBP' as currency,
        2012 as price_year,
        services.annual_volume,
        services.annual_volume * services.cost_per_transaction_native as total_cost,
        services.annual_volume * services.cost_per_transaction_native * uk_labour_share.labour_share
            as labour_cost,
        cast(null as double) as fte,
        services.cost_per_transaction_native as cost_per_transaction,
        services.digital_share,
        case
            when services.annual_volume is null then 'no volume reported in either round'
            when services.cost_per_transaction_native is null then 'no cost per transaction reported'
        end as cost_null_reason,
        case
            when services.annual_volume is null then 'no volume reported in either round'
            when services.cost_per_transaction_native is null then 'no cost per transaction reported'
        end as labour_cost_null_reason,
        'the Transactions Explorer reports no staff numbers' as fte_null_reason,
        'A040,A042' as assumption_ids
    from services
    cross join uk_labour_share
    where services.country_code = 'UK'
),

ca as (
    select
        services.service_key,
        services.fiscal_year,
        'CAD' as currency,
        cast({{ dbt.split_part('services.fiscal_year', "'-'", 2) }} as integer) as price_year,
        services.annual_volume,
        allocation.allocated_spending_cad as total_cost,
        allocation.allocated_fte * ca_fte_cost.loaded_cost_per_fte_cad as labour_cost,
        allocation.allocated_fte as fte,
        allocation.cost_per_application_cad as cost_per_transaction,
        services.digital_share,
        allocation.cost_null_reason,
        case
            when allocation.allocated_fte is null then allocation.cost_null_reason
            when ca_fte_cost.loaded_cost_per_fte_cad is null
                then 'no internal-services actual spending and FTEs for the fiscal year (A041)'
        end as labour_cost_null_reason,
        case when allocation.allocated_fte is null then allocation.cost_null_reason end
            as fte_null_reason,
        'A001,A002,A041' as assumption_ids
    from services
    left join ca_allocation as allocation
        on allocation.service_key = services.service_key
        and allocation.fiscal_year = services.fiscal_year
    left join ca_fte_cost
        on ca_fte_cost.fiscal_year = services.fiscal_year
    where services.country_code = 'CA'
)

select
    *,
    -- Canadian programme spending can be net of recoveries (Employment Insurance is negative) or
    -- exclude costs charged to other accounts, so the FTE-based labour cost may exceed it.
    coalesce(labour_cost > total_cost, false) as is_labour_cost_above_total_cost
from (
    select * from uk
    union all
    select * from ca
) as costs
