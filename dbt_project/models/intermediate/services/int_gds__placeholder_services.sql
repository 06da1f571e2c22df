-- One row per Transactions Explorer row name that is a placeholder, not a service: the file lists
-- 21 local-government service areas (Libraries, Council tax, ...) under the department 'Local
-- government' with no volume, digital volume or cost per transaction in any round (A043). They stay
-- in raw and staging as published and are kept out of the services here, with the reason.
with rows_by_name as (
    select
        name_of_service,
        max(department) as department,
        count(*) as round_rows,
        count(volume) + count(digital_volume) + count(cost_per_transaction_gbp) as numbers_reported,
        max(_source_sha256) as source_sha256
    from {{ ref('stg_gds__transactions_explorer') }}
    group by name_of_service
)

select
    name_of_service,
    department,
    round_rows,
    'local-government placeholder row: no volume, digital volume or cost per transaction in any round (A043)'
        as exclusion_reason,
    'A043' as assumption_id,
    source_sha256
from rows_by_name
where department = 'Local government'
    and numbers_reported = 0
