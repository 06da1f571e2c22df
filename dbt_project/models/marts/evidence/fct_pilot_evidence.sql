-- One row per pilot of seeds/pilot_evidence.csv: the row as entered, with the archetype, country
-- and organisation it applies to resolved from dim_service when a service is named (one service
-- may appear in several fiscal years; its archetype, country and organisation are the same in
-- each). The Beta update that uses it is the polars asset scoring.fct_service_evidence_posterior.
with pilots as (
    select * from {{ ref('pilot_evidence') }}
),

services as (
    select
        service_key,
        max(country_code) as country_code,
        max(organisation_code) as organisation_code,
        max(service_name) as service_name,
        max(archetype_id) as archetype_id
    from {{ ref('dim_service') }}
    group by service_key
)

select
    pilots.evidence_id,
    pilots.service_key,
    services.service_name,
    cast(coalesce(services.archetype_id, pilots.archetype_id) as {{ dbt.type_string() }}) as archetype_id,
    cast(coalesce(services.country_code, pilots.country_code) as {{ dbt.type_string() }}) as country_code,
    services.organisation_code,
    cast(pilots.measure as {{ dbt.type_string() }}) as measure,
    cast(pilots.measured_value as double) as measured_value,
    cast(pilots.baseline_minutes_per_transaction as double) as baseline_minutes_per_transaction,
    cast(pilots.sample_size as bigint) as sample_size,
    cast(pilots.sample_unit as {{ dbt.type_string() }}) as sample_unit,
    cast(pilots.start_date as date) as start_date,
    cast(pilots.end_date as date) as end_date,
    cast(pilots.source as {{ dbt.type_string() }}) as source,
    cast(pilots.quality_rating as {{ dbt.type_string() }}) as quality_rating,
    cast(pilots.notes as {{ dbt.type_string() }}) as notes,
    cast(pilots.entered_by as {{ dbt.type_string() }}) as entered_by,
    pilots.service_key is null as is_archetype_level
from pilots
left join services
    on services.service_key = pilots.service_key
