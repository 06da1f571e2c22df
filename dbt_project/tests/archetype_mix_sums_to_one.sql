-- Each archetype's occupation shares must sum to 1 (to 1e-9): rows returned are failures.
select archetype_id, sum(labour_share) as total_share
from {{ ref('archetype_occupation_mix') }}
group by archetype_id
having abs(sum(labour_share) - 1.0) > 1e-9
