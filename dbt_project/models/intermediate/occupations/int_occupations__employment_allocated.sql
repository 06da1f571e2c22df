-- One row per O*NET-SOC 2019 occupation of O*NET 29.3: the OEWS May 2024 national employment of the
-- OEWS code it belongs to, shared equally among the O*NET occupations under that code (A033).
-- OEWS publishes 12 aggregates (e.g. 13-1020 for 13-1021..13-1023) instead of the detailed SOC 2018
-- codes: the BLS O*NET-SOC to SOC crosswalk names them (nem_code), so those occupations share the
-- aggregate's employment equally too. Military occupations (55-) and 45-3031 have no OEWS estimate.
with occupations as (
    select
        o_net_soc_code as onet_soc_code,
        substring(o_net_soc_code, 1, 7) as soc2018_code
    from {{ ref('stg_onet__occupation_data') }}
),

employment_codes as (
    select
        onet_soc_code,
        nem_code
    from {{ ref('stg_bls__onet_soc_to_soc') }}
),

oews as (
    select
        occ_code,
        occ_title,
        cast(tot_emp as double) as tot_emp,
        _source_sha256
    from {{ ref('stg_bls__oews_national') }}
    where o_group = 'detailed'
),

coded as (
    select
        occupations.onet_soc_code,
        occupations.soc2018_code,
        coalesce(employment_codes.nem_code, occupations.soc2018_code) as oews_code
    from occupations
    left join employment_codes
        on employment_codes.onet_soc_code = occupations.onet_soc_code
),

shared as (
    select
        onet_soc_code,
        soc2018_code,
        oews_code,
        count(*) over (partition by oews_code) as occupations_sharing_oews_code
    from coded
)

select
    shared.onet_soc_code,
    shared.soc2018_code,
    case when oews.occ_code is not null then shared.oews_code end as oews_code,
    oews.occ_title as oews_title,
    oews.tot_emp as oews_code_employment_2024,
    cast(shared.occupations_sharing_oews_code as bigint) as occupations_sharing_oews_code,
    oews.tot_emp / shared.occupations_sharing_oews_code as oews_employment_2024,
    case
        when oews.occ_code is null then null
        when shared.oews_code = shared.soc2018_code then 'oews_detailed_code'
        else 'oews_aggregate_code'
    end as employment_source,
    oews._source_sha256 as oews_source_sha256
from shared
left join oews
    on oews.occ_code = shared.oews_code
