-- One row per service, fiscal year and programme code: the inventory's comma-separated programme
-- list split into rows (a service can be delivered under up to 50 programmes).
with services as (
    select
        service_id,
        fiscal_year,
        organisation_code,
        programme_id_list,
        length(programme_id_list) - length(replace(programme_id_list, ',', '')) + 1 as programme_count
    from {{ ref('stg_tbs_canada__services') }}
    where programme_id_list is not null
),

positions as (
    select n from {{ integer_series(64) }} as series
)

select
    services.service_id,
    services.fiscal_year,
    services.organisation_code,
    trim({{ split_part_at('services.programme_id_list', "','", 'positions.n') }}) as programme_id,
    positions.n as programme_position,
    services.programme_count
from services
inner join positions
    on positions.n <= services.programme_count
