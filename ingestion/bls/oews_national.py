"""BLS Occupational Employment and Wage Statistics (OEWS), May 2024 national cross-industry file.

One row per occupation code and occupation level (`o_group`): all of the U.S., all ownerships
(OWN_CODE 1235), in the official OEWS column layout, republished as `oews_national_2024.csv` with a
leading unnamed pandas index column.

Markers. OEWS prints a symbol instead of a number where an estimate cannot be shown:
`#` the wage is at or above the top-code ($115.00 an hour, $239,200 a year), `*` the wage is not
available, `**` the employment is not available, `~` under 0.5 % of establishments report the
occupation. Every measure column becomes a typed number that is null where a marker stood, and a
`<measure>_status` column says which marker it was (`reported`, `top_coded`, `wage_not_available`,
`employment_not_available`, `under_half_percent`, or `blank` for an empty cell), so that a top-coded
surgeon's wage is never mistaken for a missing one. `_flags` summarises the markers per row.

The republisher's pandas export also stripped the zeros of NAICS "000000" (cross-industry) to "0":
the reader pads it back to six digits. Broad occupations with a single detailed occupation appear
twice under the same code (o_group "broad" and "detailed"), so the key is (occ_code, o_group).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from ingestion.readers import (
    ROW,
    RawTable,
    SourceRef,
    add_flags,
    any_status,
    cast_columns,
    contract_types,
    read_text_table,
    select_contract_order,
    snake_case,
    split_markers,
)

DATASET_ID = "bls__oews_national"
FILE = "oews_national_2024.csv"

INDEX_COLUMN = ""  # the republisher's pandas index, dropped after checking it
TEXT_COLUMNS = [
    "AREA",
    "AREA_TITLE",
    "AREA_TYPE",
    "PRIM_STATE",
    "NAICS",
    "NAICS_TITLE",
    "I_GROUP",
    "OWN_CODE",
    "OCC_CODE",
    "OCC_TITLE",
    "O_GROUP",
]
MEASURES = [
    "TOT_EMP",
    "EMP_PRSE",
    "JOBS_1000",
    "LOC_QUOTIENT",
    "PCT_TOTAL",
    "PCT_RPT",
    "H_MEAN",
    "A_MEAN",
    "MEAN_PRSE",
    "H_PCT10",
    "H_PCT25",
    "H_MEDIAN",
    "H_PCT75",
    "H_PCT90",
    "A_PCT10",
    "A_PCT25",
    "A_MEDIAN",
    "A_PCT75",
    "A_PCT90",
]
# Employment counts and annual wages are published as whole numbers.
ONLY_FLAGS = ["ANNUAL", "HOURLY"]
SOURCE_COLUMNS = [INDEX_COLUMN, *TEXT_COLUMNS, *MEASURES, *ONLY_FLAGS]

MARKERS = {
    "#": "top_coded",
    "*": "wage_not_available",
    "**": "employment_not_available",
    "~": "under_half_percent",
}
STATUSES = ["reported", "blank", *MARKERS.values()]

HOURLY = [c for c in MEASURES if c.startswith("H_")]
ANNUAL = [c for c in MEASURES if c.startswith("A_")]
PERCENTILES = ["PCT10", "PCT25", "MEDIAN", "PCT75", "PCT90"]

COLUMNS = [snake_case(c) for c in TEXT_COLUMNS + MEASURES + ONLY_FLAGS] + [
    f"{snake_case(c)}_status" for c in MEASURES
]


def not_monotonic(columns: Sequence[str]) -> pl.Expr:
    """True where two consecutive non-null percentiles decrease (p10 <= p25 <= ... <= p90)."""
    checks = [
        pl.col(low).is_not_null() & pl.col(high).is_not_null() & (pl.col(low) > pl.col(high))
        for low, high in zip(columns, columns[1:], strict=False)
    ]
    return pl.any_horizontal(checks)


def read_oews_national(path: Path, file: str = FILE) -> pl.DataFrame:
    """Typed OEWS national estimates: markers become nulls with a `<measure>_status` column."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=SOURCE_COLUMNS)
    index = frame.get_column(INDEX_COLUMN).cast(pl.Int64, strict=False)
    out_of_sequence = index.is_null() | (index != frame.get_column(ROW) - 1)
    frame = frame.with_columns(out_of_sequence.alias("_index_out_of_sequence")).drop(INDEX_COLUMN)

    frame = split_markers(frame, MEASURES, MARKERS)
    frame = cast_columns(
        frame, ref, contract_types(DATASET_ID, [*TEXT_COLUMNS, *MEASURES, *ONLY_FLAGS], snake_case)
    )
    frame = frame.with_columns(
        # "000000" (cross-industry) lost its zeros in the republisher's pandas export.
        pl.col("NAICS").str.zfill(6),
        # Empty means "no": the flag is only printed where wages are published one way only.
        pl.col("ANNUAL").fill_null(False),
        pl.col("HOURLY").fill_null(False),
    )
    frame = add_flags(
        frame,
        [
            ("wage_top_coded", any_status(MEASURES, "top_coded")),
            ("hourly_wage_not_available", any_status(HOURLY, "wage_not_available")),
            ("annual_wage_not_available", any_status(ANNUAL, "wage_not_available")),
            ("employment_not_available", any_status(MEASURES, "employment_not_available")),
            ("code_at_two_levels", pl.col("OCC_CODE").is_duplicated()),
            ("hourly_percentiles_not_monotonic", not_monotonic([f"H_{p}" for p in PERCENTILES])),
            ("annual_percentiles_not_monotonic", not_monotonic([f"A_{p}" for p in PERCENTILES])),
            ("index_out_of_sequence", pl.col("_index_out_of_sequence")),
        ],
    ).drop("_index_out_of_sequence")
    frame = frame.rename({c: snake_case(c) for c in frame.columns if not c.startswith("_")})
    return select_contract_order(frame, COLUMNS)


TABLES = (RawTable.from_contract(DATASET_ID, read_oews_national),)
