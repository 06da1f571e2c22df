-- One row per Canadian service, fiscal year and programme it is delivered under, with the
-- programme's actual spending and FTEs for the same fiscal year: the input to cost allocation.
with split as (
    select * from {{ ref('int_ca_service_programmes__split') }}
),

services as (
    select * from {{ ref('stg_tbs_canada__services') }}
),

organisations as (
    select * from {{ ref('int_ca_organisations__matched') }}
),

spending as (
    select * from {{ ref('stg_tbs_canada__programme_spending') }}
),

linked as (
    select
        split.service_id,
        split.fiscal_year,
        split.programme_id,
        split.programme_position,
        organisations.organisation_id,
        spending.organisation_id as programme_organisation_id,
        spending.programme_name,
        spending.actual_spending_cad,
        spending.actual_fte
    from split
    left join organisations
        on organisations.organisation_code = split.organisation_code
    left join spending
        on spending.fiscal_year = split.fiscal_year
        and spending.programme_id = split.programme_id
        and (
            split.programme_id not like 'ISS%'
            or spending.organisation_id = organisations.organisation_id
        )
)

select
    {{ dbt.concat(["'CA-'", "linked.service_id"]) }} as service_key,
    linked.service_id,
    linked.fiscal_year,
    linked.programme_id,
    linked.programme_position,
    coalesce(linked.programme_organisation_id, linked.organisation_id) as organisation_id,
    linked.programme_name,
    linked.programme_organisation_id is not null as is_programme_matched,
    case
        when linked.programme_organisation_id is not null then null
        when linked.programme_id like 'ISS%' and linked.organisation_id is null
            then 'internal-services programme and the organisation could not be matched (A002)'
        else 'programme code not found in rbpo.csv for this fiscal year'
    end as programme_unmatched_reason,
    linked.actual_spending_cad as programme_actual_spending_cad,
    linked.actual_fte as programme_actual_fte,
    services.applications_total,
    services.applications_total_status
from linked
inner join services
    on services.service_id = linked.service_id
    and services.fiscal_year = linked.fiscal_year
