"""ILO refined global index of occupational exposure to generative AI (Gmyrek et al. 2025).

The workbook has one sheet, `Sheet1`, with its header in the first row and no notes rows: one row
per ISCO-08 unit group and task (3,266 tasks in 427 unit groups). Task-level columns (2023 score,
GPT-4o and Gemini 2025 predictions with their justifications, the final 2025 score and whether it
was `predicted` or `reconciled`) sit beside unit-group-level columns repeated on every task row
(mean and SD of the task scores, 2023 and 2025 exposure classes). There is no separate
occupation-level sheet, so the dataset lands as one table; the reader checks that the repeated
unit-group values agree within each unit group (`occupation_values_inconsistent`).

Quirks, flagged not dropped:
- 3 tasks have no 2023 score (`score_2023_missing`);
- model calls that failed: the justification reads "Error" / "Error,Error" and the prediction is
  empty; the final score then comes from the other model (`gpt4o_prediction_failed`,
  `gemini_prediction_failed`);
- the similar-task retrieval (Weaviate) failed for 2 tasks (`weaviate_retrieval_failed`); one of
  them (7126 task 6) has Gemini describing the wrong occupation;
- the publisher's spelling "The Big Uknown" in potential23 is kept as published;
- ISCO-08 codes are text; any code stored as a number (losing its leading zero, e.g. 110 for
  0110) is zero-padded to four digits (`isco_code_zero_padded`, none in the published file).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.readers import (
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    check_sheets,
    contract_types,
    read_excel_sheet,
    select_contract_order,
    snake_case,
)

DATASET_ID = "ilo__genai_exposure_2025"
FILE = "Final_Scores_ISCO08_Gmyrek_et_al_2025.xlsx"
SHEET = "Sheet1"

SOURCE_COLUMNS = [
    "label4d",
    "label1d",
    "ISCO_08",
    "Title",
    "taskID",
    "Task_ISCO",
    "score_2023",
    "Weaviate Status",
    "predicted_score_2025_gpt4o",
    "prediction_justification_gpt4o",
    "weaviate_status_gemini",
    "predicted_score_2025_gemini",
    "prediction_justification_gemini",
    "score_2025",
    "source",
    "mean_score_2023",
    "mean_score_2025",
    "SD_2023",
    "SD_2025",
    "potential25",
    "potential23",
]
RENAME = {c: snake_case(c) for c in SOURCE_COLUMNS}  # ISCO_08 -> isco_08, taskID -> task_id
COLUMNS = [RENAME[c] for c in SOURCE_COLUMNS]
OCCUPATION_LEVEL = [
    "label4d",
    "label1d",
    "title",
    "mean_score_2023",
    "mean_score_2025",
    "sd_2023",
    "sd_2025",
    "potential25",
    "potential23",
]


def read_task_scores(path: Path, file: str = FILE) -> pl.DataFrame:
    """One row per ISCO-08 unit group and task: 2023 and 2025 generative-AI exposure scores."""
    check_sheets(
        path,
        SourceRef(DATASET_ID, file),
        [SHEET],
        hint="The publisher may have added or renamed a sheet (e.g. an occupation-level "
        "sheet): update the reader and land it as its own table",
    )
    sheet_ref = SourceRef(DATASET_ID, f"{file} [sheet {SHEET}]")
    frame = read_excel_sheet(path, sheet_ref, sheet=SHEET, expected_columns=SOURCE_COLUMNS)
    frame = cast_columns(
        frame, sheet_ref, contract_types(DATASET_ID, SOURCE_COLUMNS, RENAME)
    ).rename(RENAME)

    code = pl.col("isco_08")
    frame = frame.with_columns(
        (code.str.contains(r"^\d{1,3}$")).alias("__padded"),
        pl.when(code.str.contains(r"^\d{1,3}$"))
        .then(code.str.zfill(4))
        .otherwise(code)
        .alias("isco_08"),
    )
    inconsistent = pl.any_horizontal(
        [(pl.col(c).n_unique().over("isco_08") > 1) for c in OCCUPATION_LEVEL]
    )
    label_mismatch = (
        pl.col("label4d") != pl.concat_str([code, pl.lit(" - "), pl.col("title")])
    ) | (pl.col("label1d").str.slice(0, 1) != code.str.slice(0, 1))
    frame = add_flags(
        frame,
        [
            ("isco_code_zero_padded", pl.col("__padded")),
            ("score_2023_missing", pl.col("score_2023").is_null()),
            ("gpt4o_prediction_failed", pl.col("predicted_score_2025_gpt4o").is_null()),
            ("gemini_prediction_failed", pl.col("predicted_score_2025_gemini").is_null()),
            (
                "weaviate_retrieval_failed",
                (pl.col("weaviate_status") == "fail")
                | (pl.col("weaviate_status_gemini") == "fail"),
            ),
            ("occupation_values_inconsistent", inconsistent),
            ("label_mismatch", label_mismatch.fill_null(True)),
        ],
    ).drop("__padded")
    return select_contract_order(frame, COLUMNS)


TABLES = (RawTable.from_contract(DATASET_ID, read_task_scores),)
