-- One row per inventory organisation code: the rbpo.csv organisation id that owns most of the
-- organisation's non-internal-services programmes (assumption A002). Internal-services codes
-- (ISS..) repeat across organisations, so they need this match to find their spending.
with links as (
    select
        split.organisation_code,
        spending.organisation_id,
        count(*) as matched_links
    from {{ ref('int_ca_service_programmes__split') }} as split
    inner join {{ ref('stg_tbs_canada__programme_spending') }} as spending
        on spending.fiscal_year = split.fiscal_year
        and spending.programme_id = split.programme_id
    where split.programme_id not like 'ISS%'
    group by split.organisation_code, spending.organisation_id
),

ranked as (
    select
        organisation_code,
        organisation_id,
        matched_links,
        sum(matched_links) over (partition by organisation_code) as all_links,
        row_number() over (
            partition by organisation_code
            order by matched_links desc, organisation_id asc
        ) as rank_in_organisation
    from links
)

select
    organisation_code,
    organisation_id,
    matched_links,
    all_links,
    cast(matched_links as double) / all_links as match_share,
    'A002' as assumption_id
from ranked
where rank_in_organisation = 1
