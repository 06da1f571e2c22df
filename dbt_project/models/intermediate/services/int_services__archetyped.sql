-- One row per service and fiscal year with its archetype (A010): the archetype of the native type
-- with the lowest precedence number; UK services without a type are unclassified_administration.
with services as (
    select * from {{ ref('int_services__unioned') }}
),

mapping as (
    select * from {{ ref('service_type_archetype') }}
),

service_types as (
    select
        {{ dbt.concat(["'CA-'", "split.service_id"]) }} as service_key,
        split.fiscal_year,
        split.native_service_type
    from {{ ref('int_ca_service_types__split') }} as split
    union all
    select service_key, fiscal_year, native_service_types as native_service_type
    from services
    where country_code = 'UK' and native_service_types is not null
),

ranked as (
    select
        service_types.service_key,
        service_types.fiscal_year,
        mapping.archetype_id,
        mapping.precedence,
        row_number() over (
            partition by service_types.service_key, service_types.fiscal_year
            order by mapping.precedence, mapping.archetype_id
        ) as rank_in_service
    from service_types
    inner join services
        on services.service_key = service_types.service_key
        and services.fiscal_year = service_types.fiscal_year
    inner join mapping
        on mapping.country_code = services.country_code
        and mapping.native_service_type = service_types.native_service_type
)

select
    services.*,
    coalesce(ranked.archetype_id, 'unclassified_administration') as archetype_id,
    case
        when ranked.archetype_id is null then 'no native service type mapped (A010)'
    end as archetype_fallback_reason
from services
left join ranked
    on ranked.service_key = services.service_key
    and ranked.fiscal_year = services.fiscal_year
    and ranked.rank_in_service = 1
