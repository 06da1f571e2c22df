-- One row per service, fiscal year and occupation that delivers it: the occupation's share of the
-- service's labour time, from the archetype's occupation mix (seed archetype_occupation_mix).
select
    services.service_key,
    services.fiscal_year,
    services.archetype_id,
    mix.onet_soc_code,
    cast(mix.labour_share as double) as occupation_share,
    mix.assumption_id,
    mix.confidence
from {{ ref('dim_service') }} as services
inner join {{ ref('archetype_occupation_mix') }} as mix
    on mix.archetype_id = services.archetype_id
