-- One row per Canadian service and fiscal year: organisation, programmes, service type,
-- applications by channel, online share and the actual spending and FTEs of its programmes.
with services as (
    select * from {{ ref('stg_tbs_canada__services') }}
),

programmes as (
    select
        service_id,
        fiscal_year,
        cast(count(*) as bigint) as programme_count,
        cast(sum(case when is_programme_matched then 1 else 0 end) as bigint) as matched_programme_count,
        sum(programme_actual_spending_cad) as programme_actual_spending_cad,
        sum(programme_actual_fte) as programme_actual_fte
    from {{ ref('fct_ca_service_programme') }}
    group by service_id, fiscal_year
)

select
    {{ dbt.concat(["'CA-'", "services.service_id"]) }} as service_key,
    services.service_id,
    services.fiscal_year,
    services.organisation_code,
    services.organisation_title,
    services.service_name,
    services.service_type_codes,
    services.service_recipient_type,
    services.programme_id_list,
    services.programme_name_list,
    coalesce(programmes.programme_count, cast(0 as bigint)) as programme_count,
    coalesce(programmes.matched_programme_count, cast(0 as bigint)) as matched_programme_count,
    services.is_automated_decision_system,
    services.is_online_application,
    services.is_online_decision,
    services.is_online_issuance,
    services.applications_total,
    services.applications_total_status,
    services.applications_online,
    services.applications_phone,
    services.applications_in_person,
    services.applications_mail,
    services.applications_email,
    services.applications_fax,
    services.applications_other,
    services.phone_enquiries,
    services.website_visits,
    case
        when services.applications_total > 0 and services.applications_online is not null
            then cast(services.applications_online as double) / services.applications_total
    end as online_share_of_applications,
    programmes.programme_actual_spending_cad,
    programmes.programme_actual_fte,
    services._source_sha256 as source_sha256
from services
left join programmes
    on programmes.service_id = services.service_id
    and programmes.fiscal_year = services.fiscal_year
