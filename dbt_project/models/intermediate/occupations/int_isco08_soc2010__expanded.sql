-- One row per ISCO-08 unit group and SOC 2010 code linked by the BLS crosswalk, made usable for
-- 4-digit measures: the two links to ISCO-08 minor groups (211, 315) go to every unit group under
-- the minor group, and SOC 2010 broad groups that the O*NET 2010-to-2019 crosswalk uses but the BLS
-- crosswalk lacks (19-1020 Biologists) take the unit groups of the detailed codes under them.
-- soc2010_share divides each SOC 2010 code equally among its unit groups (A033: no employment by
-- ISCO-08 unit group exists for the US).
with published as (
    select
        soc2010_code,
        isco08_code,
        is_partial
    from {{ ref('stg_bls__isco08_to_soc2010') }}
),

unit_groups as (
    select isco08_code
    from {{ ref('stg_bls__isco_structure') }}
    where n_digits = 4
),

to_unit_groups as (
    select
        published.soc2010_code,
        published.isco08_code,
        published.is_partial,
        'published' as link_method
    from published
    where length(published.isco08_code) = 4

    union all

    select
        published.soc2010_code,
        unit_groups.isco08_code,
        published.is_partial,
        'isco08_minor_group_expanded' as link_method
    from published
    inner join unit_groups
        on substring(unit_groups.isco08_code, 1, length(published.isco08_code)) = published.isco08_code
    where length(published.isco08_code) < 4
),

onet_soc2010_codes as (
    select distinct substring(onet_soc2010_code, 1, 7) as soc2010_code
    from {{ ref('stg_bls__onet_soc2010_to_2019') }}
),

missing_groups as (
    select
        onet_soc2010_codes.soc2010_code,
        {{ soc_group_prefix('onet_soc2010_codes.soc2010_code') }} as group_prefix
    from onet_soc2010_codes
    left join (select distinct soc2010_code from to_unit_groups) as linked
        on linked.soc2010_code = onet_soc2010_codes.soc2010_code
    where linked.soc2010_code is null
        and {{ soc_group_prefix('onet_soc2010_codes.soc2010_code') }} is not null
),

group_links as (
    select
        missing_groups.soc2010_code,
        to_unit_groups.isco08_code,
        max(case when to_unit_groups.is_partial then 1 else 0 end) = 1 as is_partial,
        'soc2010_broad_group_expanded' as link_method
    from missing_groups
    inner join to_unit_groups
        on substring(to_unit_groups.soc2010_code, 1, length(missing_groups.group_prefix))
            = missing_groups.group_prefix
    group by missing_groups.soc2010_code, to_unit_groups.isco08_code
),

all_links as (
    select soc2010_code, isco08_code, is_partial, link_method from to_unit_groups
    union all
    select soc2010_code, isco08_code, is_partial, link_method from group_links
)

select
    isco08_code,
    soc2010_code,
    is_partial,
    link_method,
    cast(1 as double) / count(*) over (partition by soc2010_code) as soc2010_share
from all_links
