-- One row per O*NET-SOC 2019 occupation, classification and code linked to it, with
-- occupation_share: the share of the occupation that comes from the code (A033). No employment by
-- SOC 2010, O*NET-SOC 2010 or ISCO-08 code exists for the US, so an occupation is divided equally
-- among the O*NET-SOC 2010 codes it comes from, and the other shares follow from those:
--   soc2018       the first 7 characters of the O*NET-SOC 2019 code (the taxonomy is built on SOC 2018).
--   onet_soc2010  O*NET 2010-to-2019 crosswalk; equal shares among the occupation's 2010 codes.
--   soc2010       the onet_soc2010 shares summed by SOC 2010 code (left 7 of the O*NET-SOC 2010 code);
--                 the 4 occupations new in 2019 (15-1299.04..07) use the BLS SOC 2010-to-2018
--                 crosswalk through their SOC 2018 code instead (see soc2010_from_bls).
--   isco08        share(isco, occupation) = sum over SOC 2010 codes of
--                 share(soc2010, occupation) x soc2010_share(isco, soc2010), renormalised over the
--                 SOC 2010 codes that have an ISCO-08 link.
-- The split of each code among its occupations (split_weight) is computed in bridge_occupation_code.
with occupations as (
    select o_net_soc_code as onet_soc_code
    from {{ ref('stg_onet__occupation_data') }}
),

soc2018 as (
    select
        onet_soc_code,
        'soc2018' as classification,
        substring(onet_soc_code, 1, 7) as code,
        'onet_soc_code' as link_source,
        cast(1 as double) as occupation_share
    from occupations
),

onet_walk as (
    select distinct
        walk.onet_soc2010_code,
        walk.onet_soc2019_code as onet_soc_code
    from {{ ref('stg_bls__onet_soc2010_to_2019') }} as walk
    inner join occupations
        on occupations.onet_soc_code = walk.onet_soc2019_code
),

onet_soc2010 as (
    select
        onet_soc_code,
        'onet_soc2010' as classification,
        onet_soc2010_code as code,
        'onet_soc2010_to_2019' as link_source,
        cast(1 as double) / count(*) over (partition by onet_soc_code) as occupation_share
    from onet_walk
),

soc2010_from_onet as (
    select
        onet_soc_code,
        substring(code, 1, 7) as code,
        'onet_soc2010_to_2019' as link_source,
        sum(occupation_share) as occupation_share
    from onet_soc2010
    group by onet_soc_code, substring(code, 1, 7)
),

not_in_onet_walk as (
    select occupations.onet_soc_code
    from occupations
    left join (select distinct onet_soc_code from onet_walk) as walked
        on walked.onet_soc_code = occupations.onet_soc_code
    where walked.onet_soc_code is null
),

-- The occupations new in O*NET-SOC 2019 take the SOC 2010 codes the BLS crosswalk gives their
-- SOC 2018 code, each in proportion to the O*NET-SOC 2010 occupations of that code that the O*NET
-- crosswalk sends to the same SOC 2018 code (equal shares if it sends none), so that a code that
-- fed the SOC 2018 code only marginally (43-9011 Computer Operators for 15-1299) weighs little.
bls_candidates as (
    select
        not_in_onet_walk.onet_soc_code,
        soc_walk.soc2010_code as code,
        cast(count(onet_walk.onet_soc2010_code) as double) as onet_rows
    from not_in_onet_walk
    inner join (
        select distinct soc2010_code, soc2018_code
        from {{ ref('stg_bls__soc2010_to_soc2018') }}
    ) as soc_walk
        on soc_walk.soc2018_code = substring(not_in_onet_walk.onet_soc_code, 1, 7)
    left join onet_walk
        on substring(onet_walk.onet_soc2010_code, 1, 7) = soc_walk.soc2010_code
        and substring(onet_walk.onet_soc_code, 1, 7) = soc_walk.soc2018_code
    group by not_in_onet_walk.onet_soc_code, soc_walk.soc2010_code
),

soc2010_from_bls as (
    select
        onet_soc_code,
        code,
        'soc2010_to_soc2018' as link_source,
        case
            when sum(onet_rows) over (partition by onet_soc_code) > 0
                then onet_rows / sum(onet_rows) over (partition by onet_soc_code)
            else cast(1 as double) / count(*) over (partition by onet_soc_code)
        end as occupation_share
    from bls_candidates
),

soc2010 as (
    select onet_soc_code, 'soc2010' as classification, code, link_source, occupation_share
    from soc2010_from_onet
    union all
    select onet_soc_code, 'soc2010' as classification, code, link_source, occupation_share
    from soc2010_from_bls
    where occupation_share > 0
),

isco_links as (
    select
        isco08_code,
        soc2010_code,
        soc2010_share
    from {{ ref('int_isco08_soc2010__expanded') }}
),

isco_composed as (
    select
        soc2010.onet_soc_code,
        isco_links.isco08_code as code,
        sum(soc2010.occupation_share * isco_links.soc2010_share) as composed_share
    from soc2010
    inner join isco_links
        on isco_links.soc2010_code = soc2010.code
    group by soc2010.onet_soc_code, isco_links.isco08_code
),

isco08 as (
    select
        onet_soc_code,
        'isco08' as classification,
        code,
        'isco08_to_soc2010 x soc2010' as link_source,
        composed_share / sum(composed_share) over (partition by onet_soc_code) as occupation_share
    from isco_composed
)

select onet_soc_code, classification, code, link_source, occupation_share from soc2018
union all
select onet_soc_code, classification, code, link_source, occupation_share from onet_soc2010
union all
select onet_soc_code, classification, code, link_source, occupation_share from soc2010
union all
select onet_soc_code, classification, code, link_source, occupation_share from isco08
