-- One row per source row kept out of the services, with the reason: the published count of what
-- the service tables leave out (today the 21 UK local-government placeholder rows, A043).
select
    'UK' as country_code,
    'gds__transactions_explorer' as dataset_id,
    name_of_service as service_id,
    '2012-2013' as fiscal_year,
    department as organisation_name,
    cast(round_rows as bigint) as source_rows,
    exclusion_reason,
    assumption_id,
    source_sha256
from {{ ref('int_gds__placeholder_services') }}
