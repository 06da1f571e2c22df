-- One row per fiscal year, organisation and programme: spending (CAD, nominal) and FTEs.
select
    fy_ef as fiscal_year,
    organization_id as organisation_id,
    organization as organisation_name,
    core_responsibility,
    program_id as programme_id,
    program_name as programme_name,
    cast(actual_spending as double) as actual_spending_cad,
    cast(actual_ftes as double) as actual_fte,
    cast(planned_spending_1 as double) as planned_spending_cad,
    cast(planned_ftes_1 as double) as planned_fte,
    _source_file,
    _source_sha256
from {{ source('raw_tbs_canada', 'tbs_canada__program_spending_ftes') }}
