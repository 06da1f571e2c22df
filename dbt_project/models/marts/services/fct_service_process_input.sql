-- One row per service and fiscal year: what the service publishes about its own process, as the
-- production model reads it (scoring/production.py). Canada: applications by channel, phone
-- enquiries, website visits, online stages, fee and identifier use (GC Service Inventory). UK:
-- total and digital transactions (the rest are assisted, channel unknown) and the cost per
-- transaction, from the 2012-Q4 round or, where that round has none, the 2013-Q1 round.
with services as (
    select * from {{ ref('dim_service') }}
),

ca as (
    select * from {{ ref('stg_tbs_canada__services') }}
),

ca_fte_cost as (
    select fiscal_year, loaded_cost_per_fte_cad from {{ ref('int_ca_loaded_cost_per_fte') }}
),

uk_rounds as (
    select
        name_of_service,
        max(case when reporting_round = '2012-Q4' then cost_per_transaction_gbp end) as cost_q4,
        max(case when reporting_round = '2013-Q1' then cost_per_transaction_gbp end) as cost_q1
    from {{ ref('stg_gds__transactions_explorer') }}
    group by name_of_service
),

ca_rows as (
    select
        {{ dbt.concat(["'CA-'", "ca.service_id"]) }} as service_key,
        ca.fiscal_year,
        case when ca.applications_total > 0 then ca.applications_total end as applications_total,
        ca.applications_online,
        ca.applications_phone,
        ca.applications_in_person,
        ca.applications_mail,
        ca.applications_email,
        ca.applications_fax,
        ca.applications_other,
        case
            when ca.applications_total > 0
                and ca.applications_total > coalesce(ca.applications_online, 0)
                    + coalesce(ca.applications_phone, 0) + coalesce(ca.applications_in_person, 0)
                    + coalesce(ca.applications_mail, 0) + coalesce(ca.applications_email, 0)
                    + coalesce(ca.applications_fax, 0) + coalesce(ca.applications_other, 0)
            then ca.applications_total - (coalesce(ca.applications_online, 0)
                    + coalesce(ca.applications_phone, 0) + coalesce(ca.applications_in_person, 0)
                    + coalesce(ca.applications_mail, 0) + coalesce(ca.applications_email, 0)
                    + coalesce(ca.applications_fax, 0) + coalesce(ca.applications_other, 0))
            else cast(0 as bigint)
        end as applications_unspecified,
        case when ca.phone_enquiries > 0 then ca.phone_enquiries end as phone_enquiries,
        case when ca.website_visits > 0 then ca.website_visits end as website_visits,
        ca.has_service_fee,
        ca.uses_sin,
        ca.uses_business_number,
        ca.is_online_application,
        ca.is_online_decision,
        ca.is_online_issuance,
        ca.is_online_issue_resolution,
        ca.service_recipient_type as recipient_type,
        ca.client_target_group_codes as client_target_groups,
        cast(null as double) as cost_per_transaction_gbp,
        cast(null as {{ dbt.type_string() }}) as cost_round,
        ca_fte_cost.loaded_cost_per_fte_cad
    from ca
    left join ca_fte_cost
        on ca_fte_cost.fiscal_year = ca.fiscal_year
),

uk_rows as (
    select
        services.service_key,
        services.fiscal_year,
        case when services.annual_volume > 0 then services.annual_volume end as applications_total,
        case
            when services.annual_volume > 0 and services.digital_volume <= services.annual_volume
                then services.digital_volume
        end as applications_online,
        cast(null as bigint) as applications_phone,
        cast(null as bigint) as applications_in_person,
        cast(null as bigint) as applications_mail,
        cast(null as bigint) as applications_email,
        cast(null as bigint) as applications_fax,
        cast(null as bigint) as applications_other,
        case
            when services.annual_volume > 0 and services.digital_volume <= services.annual_volume
                then services.annual_volume - services.digital_volume
            when services.annual_volume > 0 then services.annual_volume
            else cast(0 as bigint)
        end as applications_unspecified,
        cast(null as bigint) as phone_enquiries,
        cast(null as bigint) as website_visits,
        cast(null as boolean) as has_service_fee,
        cast(null as boolean) as uses_sin,
        cast(null as boolean) as uses_business_number,
        cast(null as boolean) as is_online_application,
        cast(null as boolean) as is_online_decision,
        cast(null as boolean) as is_online_issuance,
        cast(null as boolean) as is_online_issue_resolution,
        services.customer_type as recipient_type,
        cast(null as {{ dbt.type_string() }}) as client_target_groups,
        coalesce(uk_rounds.cost_q4, uk_rounds.cost_q1) as cost_per_transaction_gbp,
        case
            when uk_rounds.cost_q4 is not null then '2012-Q4'
            when uk_rounds.cost_q1 is not null then '2013-Q1'
        end as cost_round,
        cast(null as double) as loaded_cost_per_fte_cad
    from services
    left join uk_rounds
        on uk_rounds.name_of_service = services.service_id
    where services.country_code = 'UK'
)

select
    services.service_key,
    services.fiscal_year,
    services.country_code,
    inputs.applications_total,
    inputs.applications_online,
    inputs.applications_phone,
    inputs.applications_in_person,
    inputs.applications_mail,
    inputs.applications_email,
    inputs.applications_fax,
    inputs.applications_other,
    inputs.applications_unspecified,
    inputs.phone_enquiries,
    inputs.website_visits,
    inputs.has_service_fee,
    inputs.uses_sin,
    inputs.uses_business_number,
    inputs.is_online_application,
    inputs.is_online_decision,
    inputs.is_online_issuance,
    inputs.is_online_issue_resolution,
    inputs.recipient_type,
    inputs.client_target_groups,
    inputs.cost_per_transaction_gbp,
    inputs.cost_round,
    inputs.loaded_cost_per_fte_cad
from services
inner join (
    select * from ca_rows
    union all
    select * from uk_rows
) as inputs
    on inputs.service_key = services.service_key
    and inputs.fiscal_year = services.fiscal_year
