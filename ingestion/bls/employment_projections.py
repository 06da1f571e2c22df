"""BLS Employment Projections 2024-34 by occupation (National Employment Matrix, SOC 2018 based).

One row per projected occupation: employment 2024 and 2034 (thousands), change, occupational
openings, median annual wage 2024 and the education, experience and training categories, as
republished by the R package occupationRiskPack (`source_employment_projections.csv`).

Quirks kept and flagged:
- `soc_code_mangled`: 35 management occupations carry a code ending in "00" ("Construction managers"
  21-1100 instead of 11-9021, "Financial managers" 11-3100 instead of 11-3031). A spreadsheet read
  the codes as dates somewhere upstream and the middle digits were lost; the title still identifies
  the occupation (it matches the NEM title in bls__soc_crosswalks__onet_soc_to_soc). The code is
  kept as published, so it is not unique: the key is (soc2018_code, soc2018_title).
- `wage_not_available`: "NA" median wage (BLS publishes no annual wage for occupations paid by the
  hour such as actors and dancers), null here.
- `wage_top_coded`: a median of exactly 239,200 is the OEWS top-code (at or above $239,200).
- The column the republisher named `employment_change_24to34_thousands_annual_average` holds BLS's
  "occupational openings, 2024-34 annual average" (thousands): it is positive where employment
  falls (fast-food cooks: change -90.3, openings 82.1 a year). The name is kept as published.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.readers import (
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    contract_types,
    read_text_table,
    select_contract_order,
)

DATASET_ID = "bls__employment_projections"
FILE = "source_employment_projections.csv"

COLUMNS = [
    "soc2018_title",
    "soc2018_code",
    "employment_2024_thousands",
    "employment_2034_thousands",
    "employment_change_24to34_thousands",
    "employment_change_24to34_percent",
    "employment_change_24to34_thousands_annual_average",
    "median_annual_wage_2024",
    "typical_entry_level_edu",
    "education_code",
    "work_experience_in_a_related_occupation",
    "work_exp_code",
    "typical_ojt",
    "ojt_code",
]
WAGE = "median_annual_wage_2024"
TOP_CODE = 239_200
# Employment figures are rounded to 0.1 thousand, so the published change may differ from
# 2034 minus 2024 by up to 0.1; more than that means a value is wrong.
CHANGE_TOLERANCE = 0.15
# BLS category codes and their labels (Employment Projections education and training system).
CATEGORIES = {
    ("education_code", "typical_entry_level_edu"): {
        1: "Doctoral or professional degree",
        2: "Master's degree",
        3: "Bachelor's degree",
        4: "Associate's degree",
        5: "Postsecondary nondegree award",
        6: "Some college, no degree",
        7: "High school diploma or equivalent",
        8: "No formal educational credential",
    },
    ("work_exp_code", "work_experience_in_a_related_occupation"): {
        1: "5 years or more",
        2: "Less than 5 years",
        4: "None",
    },
    ("ojt_code", "typical_ojt"): {
        1: "Internship/residency",
        2: "Apprenticeship",
        3: "Long-term on-the-job training",
        4: "Moderate-term on-the-job training",
        5: "Short-term on-the-job training",
        6: "None",
    },
}


def _code_label_mismatch() -> pl.Expr:
    """True where a category code and its label disagree with the BLS code list."""
    checks = []
    for (code, label), labels in CATEGORIES.items():
        expected = pl.col(code).replace_strict(labels, default=None, return_dtype=pl.String)
        checks.append(
            pl.col(label).is_not_null() & (expected.is_null() | (expected != pl.col(label)))
        )
    return pl.any_horizontal(checks)


def read_employment_projections(path: Path, file: str = FILE) -> pl.DataFrame:
    """Typed projections; mangled codes, missing and top-coded wages are flagged, never dropped."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=COLUMNS)
    wage_na = pl.col(WAGE).str.strip_chars() == "NA"
    frame = frame.with_columns(
        wage_na.fill_null(False).alias("_wage_na"),
        pl.when(wage_na).then(None).otherwise(pl.col(WAGE)).alias(WAGE),
    )
    frame = cast_columns(frame, ref, contract_types(DATASET_ID, COLUMNS))
    change = (
        pl.col("employment_2034_thousands")
        - pl.col("employment_2024_thousands")
        - pl.col("employment_change_24to34_thousands")
    ).abs()
    frame = add_flags(
        frame,
        [
            ("soc_code_mangled", pl.col("soc2018_code").str.ends_with("00")),
            ("wage_not_available", pl.col("_wage_na")),
            ("wage_top_coded", pl.col(WAGE) == TOP_CODE),
            ("change_inconsistent", change > CHANGE_TOLERANCE),
            ("category_code_mismatch", _code_label_mismatch()),
        ],
    ).drop("_wage_na")
    return select_contract_order(frame, COLUMNS)


TABLES = (RawTable.from_contract(DATASET_ID, read_employment_projections),)
