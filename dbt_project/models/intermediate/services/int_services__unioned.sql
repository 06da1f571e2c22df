-- One row per service and fiscal year, Canada and the UK in one shape (before archetypes).
-- UK: the Transactions Explorer's annual volume from the 2012-Q4 round, else 2013-Q1 (A042); the
-- 21 local-government placeholder rows are not services (int_gds__placeholder_services, A043).
with uk_rounds as (
    select
        name_of_service,
        reporting_round,
        department,
        department_abbreviation,
        body_agency,
        agency_abbreviation,
        volume,
        digital_volume,
        cost_per_transaction_gbp,
        service_type,
        customer_type,
        business_model,
        description_of_service,
        _source_sha256
    from {{ ref('stg_gds__transactions_explorer') }}
),

uk_q4 as (select * from uk_rounds where reporting_round = '2012-Q4'),
uk_q1 as (select * from uk_rounds where reporting_round = '2013-Q1'),

uk as (
    select
        {{ dbt.concat(["'UK-'", dbt.hash('uk_q4.name_of_service')]) }} as service_key,
        'UK' as country_code,
        uk_q4.name_of_service as service_id,
        '2012-2013' as fiscal_year,
        coalesce(uk_q4.department_abbreviation, uk_q4.department) as organisation_code,
        uk_q4.department as organisation_name,
        uk_q4.body_agency as delivery_body,
        uk_q4.name_of_service as service_name,
        uk_q4.description_of_service as service_description,
        uk_q4.service_type as native_service_types,
        uk_q4.customer_type,
        case when uk_q4.volume is not null then uk_q4.volume else uk_q1.volume end as annual_volume,
        case
            when uk_q4.volume is not null then '2012-Q4'
            when uk_q1.volume is not null then '2013-Q1'
        end as volume_source,
        case when uk_q4.volume is not null then uk_q4.digital_volume else uk_q1.digital_volume end
            as digital_volume,
        case
            when uk_q4.volume is not null then uk_q4.cost_per_transaction_gbp
            else uk_q1.cost_per_transaction_gbp
        end as cost_per_transaction_native,
        cast(null as boolean) as is_online_application,
        cast(null as boolean) as is_online_decision,
        cast(null as boolean) as is_online_issuance,
        cast(null as boolean) as is_automated_decision_system,
        uk_q4._source_sha256 as source_sha256
    from uk_q4
    left join uk_q1
        on uk_q1.name_of_service = uk_q4.name_of_service
    left join {{ ref('int_gds__placeholder_services') }} as placeholders
        on placeholders.name_of_service = uk_q4.name_of_service
    where placeholders.name_of_service is null
),

ca as (
    select
        {{ dbt.concat(["'CA-'", "service_id"]) }} as service_key,
        'CA' as country_code,
        service_id,
        fiscal_year,
        organisation_code,
        organisation_title as organisation_name,
        cast(null as {{ dbt.type_string() }}) as delivery_body,
        service_name,
        service_description,
        service_type_codes as native_service_types,
        service_recipient_type as customer_type,
        applications_total as annual_volume,
        case when applications_total is not null then 'applications_total' end as volume_source,
        applications_online as digital_volume,
        cast(null as double) as cost_per_transaction_native,
        is_online_application,
        is_online_decision,
        is_online_issuance,
        is_automated_decision_system,
        _source_sha256 as source_sha256
    from {{ ref('stg_tbs_canada__services') }}
)

select * from uk
union all
select * from ca
