-- One row per contract, category and job grade (qualifica) of the Conto Annuale 2024 code list:
-- the grade with its sector (comparto), macro-category and category, and the ISCO-08 group its
-- text maps to (seeds/conto_annuale_qualifica_isco08.csv, A120-A125) with its title, or no group
-- and the reason (A126; 'not in the map' for grades added to the code list after the map).
-- The two research-fellow rows without a grade code are left out (no grade to map).
with grades as (
    select * from {{ ref('stg_rgs_italy__contratto_qualifica') }}
    where codi_qualifica is not null
),

contracts as (
    select codi_contratto, codi_comparto, desc_comparto, desc_contratto
    from {{ ref('stg_rgs_italy__comparto_contratto') }}
),

isco_map as (
    select * from {{ ref('conto_annuale_qualifica_isco08') }}
),

isco as (
    select isco08_code, isco08_title from {{ ref('stg_bls__isco_structure') }}
)

select
    grades.anno as code_list_year,
    grades.codi_contratto,
    contracts.desc_contratto,
    contracts.codi_comparto,
    contracts.desc_comparto,
    grades.codi_macrocategoria,
    grades.desc_macrocategoria,
    grades.codi_categoria,
    grades.desc_categoria,
    grades.codi_qualifica,
    grades.desc_qualifica,
    isco_map.isco08_code,
    isco.isco08_title,
    isco_map.isco08_level,
    isco_map.confidence as mapping_confidence,
    isco_map.match_rule,
    coalesce(isco_map.assumption_id, 'A126') as assumption_id,
    case
        when isco_map.codi_qualifica is null then 'not in the map (seeds/conto_annuale_qualifica_isco08.csv)'
        when isco_map.isco08_code is null then isco_map.unmapped_reason
    end as unmapped_reason,
    grades._source_sha256 as source_sha256
from grades
left join contracts
    on contracts.codi_contratto = grades.codi_contratto
left join isco_map
    on isco_map.codi_contratto = grades.codi_contratto
    and isco_map.codi_categoria = grades.codi_categoria
    and isco_map.codi_qualifica = grades.codi_qualifica
left join isco
    on isco.isco08_code = isco_map.isco08_code
