-- One row per O*NET 29.3 task statement: its occupation, type and weight in the occupation
-- (2 core, 1 supplemental, 1 untyped: A030-A032), normalised to sum to 1 per occupation.
select
    task_id,
    onet_soc_code,
    task_statement,
    task_type,
    task_weight,
    task_weight_in_occupation,
    assumption_id,
    source_sha256
from {{ ref('int_tasks__weighted_by_occupation') }}
