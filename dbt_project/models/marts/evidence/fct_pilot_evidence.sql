-- One row per pilot of seeds/pilot_evidence.csv: the row as entered, with the archetype, country
-- and organisation it applies to resolved from dim_service when a service is named (one service
-- may appear in several fiscal years; its archetype, country and organisation are the same in
-- each), and its publication. The Beta update that uses it is the polars asset
-- scoring.fct_service_evidence_posterior (activity-level links: scoring/evidence.py).
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
    cast(pilots.activity_ids as {{ dbt.type_string() }}) as activity_ids,
    cast(coalesce(services.country_code, pilots.country_code) as {{ dbt.type_string() }}) as country_code,
    cast(coalesce(services.organisation_code, pilots.organisation_code) as {{ dbt.type_string() }}) as organisation_code,
    cast(pilots.measure as {{ dbt.type_string() }}) as measure,
    cast(pilots.measured_value as double) as measured_value,
    cast(pilots.baseline_minutes_per_transaction as double) as baseline_minutes_per_transaction,
    cast(pilots.sample_size as bigint) as sample_size,
    cast(pilots.sample_unit as {{ dbt.type_string() }}) as sample_unit,
    cast(pilots.start_date as date) as start_date,
    cast(pilots.end_date as date) as end_date,
    cast(pilots.publication_year as integer) as publication_year,
    cast(pilots.publisher as {{ dbt.type_string() }}) as publisher,
    cast(pilots.source as {{ dbt.type_string() }}) as source,
    cast(pilots.source_url as {{ dbt.type_string() }}) as source_url,
    cast(pilots.design as {{ dbt.type_string() }}) as design,
    coalesce(cast(pilots.is_lower_bound as boolean), false) as is_lower_bound,
    cast(pilots.automated_task as {{ dbt.type_string() }}) as automated_task,
    cast(pilots.published_figure as {{ dbt.type_string() }}) as published_figure,
    cast(pilots.published_unit as {{ dbt.type_string() }}) as published_unit,
    cast(pilots.derivation as {{ dbt.type_string() }}) as derivation,
    cast(pilots.derivation_assumption_ids as {{ dbt.type_string() }}) as derivation_assumption_ids,
    cast(pilots.quality_rating as {{ dbt.type_string() }}) as quality_rating,
    cast(pilots.notes as {{ dbt.type_string() }}) as notes,
    cast(pilots.entered_by as {{ dbt.type_string() }}) as entered_by,
    pilots.service_key is null and pilots.activity_ids is null as is_archetype_level,
    pilots.activity_ids is not null as is_activity_level
from pilots
left join services
    on services.service_key = pilots.service_key
