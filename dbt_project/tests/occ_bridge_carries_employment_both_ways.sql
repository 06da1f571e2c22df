{{ config(meta={'dagster': {'ref': {'name': 'bridge_occupation_code'}}}) }}
-- Carry each occupation's OEWS employment to the codes of a classification with share_weight and
-- back with split_weight: the total must be kept in every classification, and an occupation whose
-- codes are all split by employment must get exactly its own employment back (A033).
with bridge as (
    select * from {{ ref('bridge_occupation_code') }}
),

employment as (
    select
        onet_soc_code,
        coalesce(oews_employment_2024, 0) as employment
    from {{ ref('dim_occupation') }}
),

to_codes as (
    select
        bridge.classification,
        bridge.code,
        sum(bridge.share_weight * employment.employment) as code_employment
    from bridge
    inner join employment
        on employment.onet_soc_code = bridge.onet_soc_code
    group by bridge.classification, bridge.code
),

back_to_occupations as (
    select
        bridge.classification,
        bridge.onet_soc_code,
        sum(bridge.split_weight * to_codes.code_employment) as employment_back,
        min(case when bridge.weight_basis = 'oews_employment' then 1 else 0 end) as all_by_employment
    from bridge
    inner join to_codes
        on to_codes.classification = bridge.classification
        and to_codes.code = bridge.code
    group by bridge.classification, bridge.onet_soc_code
),

compared as (
    select
        back_to_occupations.classification,
        back_to_occupations.onet_soc_code,
        back_to_occupations.employment_back,
        back_to_occupations.all_by_employment,
        employment.employment
    from back_to_occupations
    inner join employment
        on employment.onet_soc_code = back_to_occupations.onet_soc_code
),

totals as (
    select
        classification,
        sum(employment_back) as employment_back,
        sum(employment) as employment
    from compared
    group by classification
)

select
    classification,
    cast(null as {{ dbt.type_string() }}) as onet_soc_code,
    employment_back,
    employment
from totals
where abs(employment_back - employment) > 1e-6 * employment

union all

select
    classification,
    onet_soc_code,
    employment_back,
    employment
from compared
where all_by_employment = 1
    and abs(employment_back - employment) > 1e-6 * (employment + 1)
