-- One row per Canadian service, fiscal year and native service type code (GNC,RES -> 2 rows).
with services as (
    select
        service_id,
        fiscal_year,
        service_type_codes,
        length(service_type_codes) - length(replace(service_type_codes, ',', '')) + 1 as type_count
    from {{ ref('stg_tbs_canada__services') }}
),

positions as (
    select n from {{ integer_series(16) }} as series
)

select
    services.service_id,
    services.fiscal_year,
    trim({{ split_part_at('services.service_type_codes', "','", 'positions.n') }}) as native_service_type,
    positions.n as type_position
from services
inner join positions
    on positions.n <= services.type_count
