-- One row per O*NET 29.3 task statement: its weight in its occupation, 2 for core, 1 for
-- supplemental and 1 for tasks O*NET has not typed (A030-A032, read from seeds.assumptions), and
-- that weight normalised to sum to 1 over the occupation's tasks.
with tasks as (
    select
        task_id,
        o_net_soc_code as onet_soc_code,
        task as task_statement,
        task_type,
        _source_sha256
    from {{ ref('stg_onet__task_statements') }}
),

weights as (
    {{ task_weights_from_assumptions() }}
),

weighted as (
    select
        tasks.task_id,
        tasks.onet_soc_code,
        tasks.task_statement,
        tasks.task_type,
        {{ task_weight('tasks.task_type') }} as task_weight,
        case
            when tasks.task_type = 'Core' then 'A030'
            when tasks.task_type = 'Supplemental' then 'A031'
            when tasks.task_type is null then 'A032'
        end as assumption_id,
        tasks._source_sha256 as source_sha256
    from tasks
    cross join weights
)

select
    task_id,
    onet_soc_code,
    task_statement,
    task_type,
    task_weight,
    task_weight / sum(task_weight) over (partition by onet_soc_code) as task_weight_in_occupation,
    assumption_id,
    source_sha256
from weighted
