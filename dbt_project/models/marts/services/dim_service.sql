-- One row per public service and fiscal year, Canada (GC Service Inventory 2023-24) and the UK
-- (Transactions Explorer 2012-13), with its harmonised archetype.
with services as (
    select * from {{ ref('int_services__archetyped') }}
),

archetypes as (
    select * from {{ ref('archetypes') }}
)

select
    services.service_key,
    services.country_code,
    services.service_id,
    services.fiscal_year,
    services.organisation_code,
    services.organisation_name,
    services.delivery_body,
    services.service_name,
    services.service_description,
    services.native_service_types,
    services.customer_type,
    services.archetype_id,
    archetypes.archetype_name,
    archetypes.involves_case_decision,
    services.archetype_fallback_reason,
    services.annual_volume,
    services.volume_source,
    services.digital_volume,
    case
        when services.annual_volume > 0 and services.digital_volume is not null
            and services.digital_volume <= services.annual_volume
            then cast(services.digital_volume as double) / services.annual_volume
    end as digital_share,
    services.is_online_application,
    services.is_online_decision,
    services.is_online_issuance,
    services.is_automated_decision_system,
    services.source_sha256
from services
inner join archetypes
    on archetypes.archetype_id = services.archetype_id
