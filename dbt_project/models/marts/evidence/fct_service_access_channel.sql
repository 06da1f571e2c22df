-- One row per service and fiscal year: how its transactions reach it, by channel, and who its
-- customers are. Canada: applications by channel from the GC Service Inventory (online, email,
-- in person, phone, mail, fax, other; the channels add up to applications_total for every
-- service). UK: the Transactions Explorer reports only total and digital volume, so the assisted
-- share is 1 - digital share and the channels of the rest are unknown. Assisted channels are those
-- a person without internet access can use: in person, phone, mail, fax and other; email needs
-- internet access and is counted with online.
with services as (
    select * from {{ ref('dim_service') }}
),

ca as (
    select * from {{ ref('fct_ca_service') }}
),

ca_channels as (
    select
        ca.service_key,
        ca.fiscal_year,
        ca.applications_total as annual_volume,
        coalesce(ca.applications_online, 0) as online_volume,
        coalesce(ca.applications_email, 0) as email_volume,
        coalesce(ca.applications_in_person, 0) as in_person_volume,
        coalesce(ca.applications_phone, 0) as phone_volume,
        coalesce(ca.applications_mail, 0) as mail_volume,
        coalesce(ca.applications_fax, 0) as fax_volume,
        coalesce(ca.applications_other, 0) as other_volume,
        coalesce(ca.applications_online, 0) + coalesce(ca.applications_email, 0)
            + coalesce(ca.applications_in_person, 0) + coalesce(ca.applications_phone, 0)
            + coalesce(ca.applications_mail, 0) + coalesce(ca.applications_fax, 0)
            + coalesce(ca.applications_other, 0) as channel_sum
    from ca
),

ca_shares as (
    select
        service_key,
        fiscal_year,
        annual_volume,
        case when annual_volume > 0 and channel_sum = annual_volume
            then cast(online_volume + email_volume as double) / annual_volume end as online_share,
        case when annual_volume > 0 and channel_sum = annual_volume
            then cast(in_person_volume as double) / annual_volume end as in_person_share,
        case when annual_volume > 0 and channel_sum = annual_volume
            then cast(phone_volume as double) / annual_volume end as phone_share,
        case when annual_volume > 0 and channel_sum = annual_volume
            then cast(mail_volume + fax_volume as double) / annual_volume end as mail_share,
        case when annual_volume > 0 and channel_sum = annual_volume
            then cast(other_volume as double) / annual_volume end as other_assisted_share,
        case when annual_volume > 0 and channel_sum = annual_volume
            then cast(in_person_volume + phone_volume + mail_volume + fax_volume + other_volume as double)
                / annual_volume end as assisted_share,
        case when annual_volume > 0 and channel_sum = annual_volume
            then cast(in_person_volume + phone_volume + mail_volume + fax_volume + other_volume as bigint)
        end as assisted_volume,
        case
            when annual_volume is null then 'no applications reported'
            when annual_volume = 0 then 'no applications in the year'
            when channel_sum <> annual_volume then 'channels do not add up to applications_total'
        end as channel_null_reason
    from ca_channels
),

uk_shares as (
    select
        service_key,
        fiscal_year,
        annual_volume,
        digital_share as online_share,
        cast(null as double) as in_person_share,
        cast(null as double) as phone_share,
        cast(null as double) as mail_share,
        cast(null as double) as other_assisted_share,
        1 - digital_share as assisted_share,
        cast(annual_volume - digital_volume as bigint) as assisted_volume,
        case
            when annual_volume is null then 'no volume reported in either round'
            when digital_share is null then 'no digital volume reported, or it exceeds the total'
        end as channel_null_reason
    from services
    where country_code = 'UK'
)

select
    services.service_key,
    services.fiscal_year,
    services.country_code,
    services.organisation_code,
    services.service_name,
    services.archetype_id,
    services.customer_type,
    coalesce(services.customer_type = 'Citizen (challenged)', false) as is_customer_challenged,
    channels.annual_volume,
    channels.online_share,
    channels.in_person_share,
    channels.phone_share,
    channels.mail_share,
    channels.other_assisted_share,
    channels.assisted_share,
    case when channels.assisted_share is not null then channels.assisted_volume end as assisted_volume,
    case
        when services.country_code = 'CA' then 'applications by channel (GC Service Inventory)'
        else 'digital volume only: assisted = not completed digitally (Transactions Explorer)'
    end as channel_basis,
    case when channels.assisted_share is null then channels.channel_null_reason end as channel_null_reason
from services
inner join (
    select * from ca_shares
    union all
    select * from uk_shares
) as channels
    on channels.service_key = services.service_key
    and channels.fiscal_year = services.fiscal_year
