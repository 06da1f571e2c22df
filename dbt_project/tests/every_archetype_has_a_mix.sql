{{ config(meta={'dagster': {'ref': {'name': 'archetype_occupation_mix'}}}) }}
-- Every archetype must have an occupation mix, or its services would have no tasks.
select archetypes.archetype_id
from {{ ref('archetypes') }} as archetypes
left join {{ ref('archetype_occupation_mix') }} as mix
    on mix.archetype_id = archetypes.archetype_id
where mix.archetype_id is null
