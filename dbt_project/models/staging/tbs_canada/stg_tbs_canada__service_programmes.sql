-- One row per service, programme and fiscal year (2018-19 to 2022-23 link table).
select
    service_id,
    fiscal_yr as fiscal_year,
    program_id as programme_id
from {{ source('raw_tbs_canada', 'tbs_canada__service_inventory__service_programmes') }}
