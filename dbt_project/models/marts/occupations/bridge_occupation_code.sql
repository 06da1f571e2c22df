-- One row per O*NET-SOC 2019 occupation, classification and code: the many-to-many crosswalks as
-- one long table with weights that move values between the two sides without inventing or losing
-- mass (A033).
--   share_weight: share of the occupation that comes from the code (int_occupation_codes__linked;
--     sums to 1 over codes per occupation and classification). Carry an intensive value (a score)
--     to the occupation as sum(share_weight x code value); carry a mass back to codes with it.
--   split_weight: share of the code's mass that goes to the occupation (sums to 1 over
--     occupations per classification and code). Joint mass = occupation employment x share_weight;
--     split_weight = joint mass / the code's total joint mass when every occupation linked to the
--     code has OEWS May 2024 employment, else 1 / number of linked occupations (equal split).
--     Carry a mass (employment, a share of conversations) to occupations as
--     sum(split_weight x code value); carry an occupation score back to a code with it.
-- For isco08 the joint mass is the composition of ISCO-08 -> SOC 2010 -> O*NET-SOC 2019, so the
-- isco08 split equals sum over SOC 2010 codes of (ISCO->SOC 2010 split x SOC 2010->occupation split).
with links as (
    select
        onet_soc_code,
        classification,
        code,
        link_source,
        occupation_share
    from {{ ref('int_occupation_codes__linked') }}
),

employment as (
    select
        onet_soc_code,
        oews_employment_2024
    from {{ ref('int_occupations__employment_allocated') }}
),

massed as (
    select
        links.onet_soc_code,
        links.classification,
        links.code,
        links.link_source,
        links.occupation_share,
        employment.oews_employment_2024 * links.occupation_share as link_employment,
        count(*) over (partition by links.classification, links.code) as linked_occupations,
        sum(case when employment.oews_employment_2024 > 0 then 1 else 0 end)
            over (partition by links.classification, links.code) as linked_occupations_with_employment,
        sum(employment.oews_employment_2024 * links.occupation_share)
            over (partition by links.classification, links.code) as code_employment
    from links
    left join employment
        on employment.onet_soc_code = links.onet_soc_code
)

select
    onet_soc_code,
    classification,
    code,
    cast(
        case
            when linked_occupations_with_employment = linked_occupations and code_employment > 0
                then link_employment / code_employment
            else cast(1 as double) / linked_occupations
        end as double
    ) as split_weight,
    cast(occupation_share as double) as share_weight,
    case
        when linked_occupations_with_employment = linked_occupations and code_employment > 0
            then 'oews_employment'
        else 'equal_split'
    end as weight_basis,
    cast(linked_occupations as bigint) as linked_occupation_count,
    cast(link_employment as double) as link_oews_employment_2024,
    link_source,
    'A033' as assumption_id
from massed
