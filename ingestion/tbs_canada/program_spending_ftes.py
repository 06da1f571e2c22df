"""TBS programme spending and full-time equivalents (`rbpo.csv`, from Departmental Plans and
Departmental Results Reports): planned and actual spending and FTEs per programme and fiscal year.

Programme ids of internal services (ISS00..ISS0Z) repeat across organisations, so the key is
(fiscal year, organisation id, programme id).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.readers import (
    RawTable,
    SourceRef,
    cast_columns,
    contract_types,
    read_text_table,
    select_contract_order,
)

DATASET_ID = "tbs_canada__program_spending_ftes"

COLUMNS = [
    "fy_ef",
    "organization_id",
    "organization",
    "core_responsibility",
    "program_id",
    "program_name",
    "planned_spending_1",
    "actual_spending",
    "planned_spending_2",
    "planned_spending_3",
    "planned_ftes_1",
    "actual_ftes",
    "planned_ftes_2",
    "planned_ftes_3",
    "planning_explanation",
    "variance_explanation",
]
NUMERIC = [c for c in COLUMNS if "spending" in c or "ftes" in c]


def read_program_spending_ftes(path: Path, file: str = "rbpo.csv") -> pl.DataFrame:
    """Typed programme spending (CAD, nominal) and FTEs; empty cells stay null (not yet reported)."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=COLUMNS)
    frame = cast_columns(frame, ref, contract_types(DATASET_ID, COLUMNS))
    # "-0.00" is published for a few programmes; it is zero.
    frame = frame.with_columns(
        [pl.when(pl.col(c) == 0).then(0.0).otherwise(pl.col(c)).alias(c) for c in NUMERIC]
    )
    return select_contract_order(frame, COLUMNS)


TABLES = (RawTable.from_contract(DATASET_ID, read_program_spending_ftes),)
