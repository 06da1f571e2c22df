"""Anthropic Economic Index, release 2025-02-10 (Handa et al. 2025), as republished in the
theodorewright11/aei_data_analysis repository.

- `onet_task_mappings.csv`: share of Claude.ai conversations (percent, summing to 100) per O*NET task
  statement; the statements are lower-cased and carry no code (join on text).
- `automation_vs_augmentation.csv`: share of conversations (percent) per collaboration pattern
  (directive and feedback loop are the paper's "automation" patterns; task iteration, learning and
  validation its "augmentation" patterns; "none" is unclassified).
- `tasks_final.csv`: the repository author's merge (not Anthropic's) of those task shares with
  O*NET 20.1 task statements, O*NET task ratings (2015 = O*NET 20.1, 2025 = O*NET 29.3; imputed
  where flagged) and BLS OEWS 2015/2024 national and Utah median wages and employment. One row per
  O*NET-SOC 2010 occupation and task. Kept at its published grain with one typed column per
  published column: the year- and area-suffixed columns are distinct measures with different units
  (hourly and annual wages, nominal and real, counts, percentages, 1-5 and 0-100 ratings), so they
  are not melted into one value column.

Shares are percentages (0-100). Rows are never dropped; quirks are flagged in `_flags`.
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
    reject_non_finite,
    select_contract_order,
)

DATASET_ID = "anthropic__economic_index"

MAPPINGS_FILE = "onet_task_mappings.csv"
INTERACTIONS_FILE = "automation_vs_augmentation.csv"
TASKS_FILE = "tasks_final.csv"

MAPPINGS_COLUMNS = ["task_name", "pct"]
INTERACTIONS_COLUMNS = ["interaction_type", "pct"]

TASKS_COLUMNS = [
    "task",
    "task_normalized",
    "soc_code_2010",
    "title",
    "title_normalized",
    "task_type",
    "n_responding",
    "domain_source",
    "n_occurrences",
    "pct_weighted",
    "pct_normalized",
    "major_occ_category",
    "broad_counts",
    "h_med_nat_2024",
    "a_med_nat_2024",
    "h_med_ut_2024",
    "a_med_ut_2024",
    "emp_tot_nat_2024",
    "emp_tot_ut_2024",
    "h_med_nat_nominal_2015",
    "a_med_nat_nominal_2015",
    "h_med_nat_real_2015",
    "a_med_nat_real_2015",
    "h_med_ut_nominal_2015",
    "a_med_ut_nominal_2015",
    "h_med_ut_real_2015",
    "a_med_ut_real_2015",
    "emp_tot_nat_2015",
    "emp_tot_ut_2015",
    "emp_pct_nat_2024",
    "emp_pct_ut_2024",
    "emp_pct_nat_2015",
    "emp_pct_ut_2015",
    "freq_mean_2025",
    "importance_2025",
    "relevance_2025",
    "imputed_rating_mean_2025",
    "freq_mean_2015",
    "importance_2015",
    "relevance_2015",
    "imputed_rating_mean_2015",
]

# Shares are published as percentages of all conversations; their total is 100 up to rounding.
SHARE_TOTAL = 100.0
SHARE_TOLERANCE = 0.01


def _share_total_flag(frame: pl.DataFrame) -> tuple[str, pl.Expr]:
    off = abs(frame.get_column("pct").sum() - SHARE_TOTAL) > SHARE_TOLERANCE
    return ("shares_do_not_sum_to_100", pl.lit(off))


def _read_shares(path: Path, file: str, key: str) -> pl.DataFrame:
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=[key, "pct"])
    frame = cast_columns(frame, ref, {key: pl.String(), "pct": pl.Float64()})
    reject_non_finite(frame, ref, ["pct"])
    frame = add_flags(frame, [_share_total_flag(frame)])
    return select_contract_order(frame, [key, "pct"])


def read_task_mappings(path: Path, file: str = MAPPINGS_FILE) -> pl.DataFrame:
    """One row per (lower-cased) O*NET task statement: percent of conversations mapped to it."""
    return _read_shares(path, file, "task_name")


def read_automation_vs_augmentation(path: Path, file: str = INTERACTIONS_FILE) -> pl.DataFrame:
    """One row per collaboration pattern: percent of conversations showing it."""
    return _read_shares(path, file, "interaction_type")


def read_tasks_final(path: Path, file: str = TASKS_FILE) -> pl.DataFrame:
    """One row per O*NET-SOC 2010 occupation and task: AEI share, task ratings, wages, employment."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=TASKS_COLUMNS)
    types = contract_types(f"{DATASET_ID}__tasks_final", TASKS_COLUMNS)
    frame = cast_columns(frame, ref, types)
    reject_non_finite(frame, ref, [c for c, t in types.items() if t == pl.Float64()])
    frame = add_flags(
        frame,
        [
            # O*NET publishes no respondent count for analyst-rated occupations.
            ("n_responding_missing", pl.col("n_responding").is_null()),
            ("ratings_2025_imputed", pl.col("imputed_rating_mean_2025")),
            ("ratings_2015_imputed", pl.col("imputed_rating_mean_2015")),
        ],
    )
    return select_contract_order(frame, TASKS_COLUMNS)


TABLES = (
    RawTable.from_contract(f"{DATASET_ID}__onet_task_mappings", read_task_mappings),
    RawTable.from_contract(
        f"{DATASET_ID}__automation_vs_augmentation", read_automation_vs_augmentation
    ),
    RawTable.from_contract(f"{DATASET_ID}__tasks_final", read_tasks_final),
)
