"""Working with AI (Tomlinson, Jaffe, Wang, Counts & Suri, Microsoft Research 2025): AI applicability
of O*NET intermediate work activities (IWAs) and detailed SOC 2018 occupations, from Bing Copilot
conversations (US, January-September 2024), built on O*NET 29.0.

- `iwa_metrics.csv`: one row per IWA: activity share, completion, impact scope and thumbs-up
  fraction, separately for user goals (`_user`) and AI actions (`_ai`). Completion, scope and
  feedback are null where an IWA had no conversations (or no thumbs reactions) on that side.
- `soc_ai_applicability_scores.csv`: one row per SOC 2018 detailed occupation: the AI applicability
  score (mean of the user-goal and AI-action scores in `soc_metrics.csv`).
- `soc_metrics.csv`: one row per occupation: IWA metrics aggregated with the SOC-IWA weights.
- `soc_to_iwas.csv`: one row per occupation and linked IWA.
- `soc_iwa_weights.csv`: one row per occupation with one column per IWA (332 columns, O*NET
  importance- and relevance-based weights, 0 where the IWA is not weighted; 95% of the cells are 0).
  Landed long and sparse: one row per occupation and IWA with a non-zero weight (13,538 of 260,620
  cells); a missing pair means weight 0. Every occupation row of the file has non-zero weights, so
  every source row is represented (the reader refuses a row that is all zeros).

Military occupations (55-xxxx) and 74 SOC codes without O*NET task data are not in the files.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from ingestion.readers import (
    ROW,
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    contract_types,
    read_text_table,
    reject_non_finite,
    select_contract_order,
)

DATASET_ID = "microsoft__working_with_ai"

IWA_METRICS_FILE = "iwa_metrics.csv"
SCORES_FILE = "soc_ai_applicability_scores.csv"
SOC_METRICS_FILE = "soc_metrics.csv"
SOC_TO_IWAS_FILE = "soc_to_iwas.csv"
WEIGHTS_FILE = "soc_iwa_weights.csv"

IWA_PATTERN = re.compile(r"4\.A\.\d\.[a-z]\.\d\.I\d{2}")
SIDES = ("user", "ai")

IWA_MEASURES = [
    "share",
    "completion",
    "impact_scope",
    "feedback_positive_fraction",
    "completion_x_scope_x_coverage",
]
IWA_METRIC_COLUMNS = [f"{m}_{s}" for m in IWA_MEASURES for s in SIDES]
IWA_HEADER = ["IWA", "title", *IWA_METRIC_COLUMNS]
IWA_COLUMNS = ["iwa", "title", *IWA_METRIC_COLUMNS]

SOC_MEASURES = [
    "coverage",
    "completion",
    "feedback_positive_fraction",
    "impact_scope",
    "ai_applicability_score",
]
SOC_METRIC_COLUMNS = [f"{m}_{s}" for m in SOC_MEASURES for s in SIDES]
SOC_METRICS_HEADER = ["SOC Code", "title", *SOC_METRIC_COLUMNS]
SOC_METRICS_COLUMNS = ["soc_code", "title", *SOC_METRIC_COLUMNS]

SCORES_HEADER = ["SOC Code", "title", "ai_applicability_score"]
SCORES_COLUMNS = ["soc_code", "title", "ai_applicability_score"]

SOC_TO_IWAS_HEADER = ["SOC Code", "IWA"]
SOC_TO_IWAS_COLUMNS = ["soc_code", "iwa"]

WEIGHTS_KEY = "SOC Code"
WEIGHTS_COLUMNS = ["soc_code", "iwa", "weight"]

RENAME = {"SOC Code": "soc_code", "IWA": "iwa"}


def _read_metrics(
    path: Path, file: str, table: str, header: list[str]
) -> tuple[pl.DataFrame, SourceRef]:
    """Read a metrics file, cast to its landing contract's types; numbers must be finite."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=header)
    types = contract_types(f"{DATASET_ID}__{table}", header, RENAME)
    frame = cast_columns(frame, ref, types, rename=RENAME)
    reject_non_finite(frame, ref, [RENAME.get(c, c) for c, t in types.items() if t == pl.Float64()])
    return frame, ref


def read_iwa_metrics(path: Path, file: str = IWA_METRICS_FILE) -> pl.DataFrame:
    """One row per IWA: Copilot activity share and success metrics for user goals and AI actions."""
    frame, _ = _read_metrics(path, file, "iwa_metrics", IWA_HEADER)
    rules = []
    for side in SIDES:
        parts = ("completion", "impact_scope", "feedback_positive_fraction")
        missing = pl.any_horizontal([pl.col(f"{p}_{side}").is_null() for p in parts])
        rules.append((f"{side}_metrics_missing", missing))
    frame = add_flags(frame, rules)
    return select_contract_order(frame, IWA_COLUMNS)


def read_soc_ai_applicability_scores(path: Path, file: str = SCORES_FILE) -> pl.DataFrame:
    """One row per SOC 2018 detailed occupation: the AI applicability score."""
    frame, _ = _read_metrics(path, file, "soc_ai_applicability_scores", SCORES_HEADER)
    frame = add_flags(frame, [])
    return select_contract_order(frame, SCORES_COLUMNS)


def read_soc_metrics(path: Path, file: str = SOC_METRICS_FILE) -> pl.DataFrame:
    """One row per SOC 2018 detailed occupation: IWA metrics aggregated with the SOC-IWA weights."""
    frame, _ = _read_metrics(path, file, "soc_metrics", SOC_METRICS_HEADER)
    frame = add_flags(frame, [])
    return select_contract_order(frame, SOC_METRICS_COLUMNS)


def read_soc_to_iwas(path: Path, file: str = SOC_TO_IWAS_FILE) -> pl.DataFrame:
    """One row per SOC 2018 detailed occupation and linked IWA."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=SOC_TO_IWAS_HEADER)
    types = contract_types(f"{DATASET_ID}__soc_to_iwas", SOC_TO_IWAS_HEADER, RENAME)
    frame = cast_columns(frame, ref, types, rename=RENAME)
    frame = add_flags(frame, [])
    return select_contract_order(frame, SOC_TO_IWAS_COLUMNS)


def _check_weight_header(columns: list[str], ref: SourceRef) -> list[str]:
    """The wide header is `SOC Code` then one distinct IWA id per column: name the first misfit."""
    columns = [c for c in columns if c != ROW]
    if not columns or columns[0] != WEIGHTS_KEY:
        raise ref.error(
            f"expected the first column to be {WEIGHTS_KEY!r}; the file has {columns[:5]}",
            column=WEIGHTS_KEY,
            hint="The publisher may have renamed the key column: update the reader and contract",
        )
    iwas = columns[1:]
    for column in iwas:
        if not IWA_PATTERN.fullmatch(column):
            raise ref.error(
                "column header is not an O*NET IWA id (like 4.A.1.a.1.I01)",
                column=column,
                hint="The publisher may have renamed or added a column: update the reader",
            )
    if not iwas:
        raise ref.error("the file has no IWA columns", column=WEIGHTS_KEY)
    return iwas


def read_soc_iwa_weights(path: Path, file: str = WEIGHTS_FILE) -> pl.DataFrame:
    """Long, sparse: one row per SOC 2018 occupation and IWA with a non-zero published weight."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref)
    iwas = _check_weight_header(frame.columns, ref)
    types: dict[str, pl.DataType] = {WEIGHTS_KEY: pl.String()}
    types.update(dict.fromkeys(iwas, pl.Float64()))
    # Cast while still wide so that an unreadable cell is reported under its IWA column.
    frame = cast_columns(frame, ref, types, rename=RENAME)
    reject_non_finite(frame, ref, iwas)
    for column in iwas:
        empty = frame.get_column(column).is_null()
        if empty.any():
            raise ref.error(
                "empty weight cell (the file publishes 0 for an IWA without weight)",
                column=column,
                row=int(frame.get_column(ROW)[empty.arg_true()[0]]),
            )
    long = frame.unpivot(
        on=iwas, index=["soc_code", ROW], variable_name="iwa", value_name="weight"
    ).sort(ROW, maintain_order=True)
    # Sparse: a zero cell means "the IWA has no weight in this occupation".
    weighted = long.filter(pl.col("weight") != 0)
    empty_rows = frame.filter(~frame.get_column(ROW).is_in(weighted.get_column(ROW).implode()))
    if empty_rows.height:
        raise ref.error(
            "occupation row has no non-zero IWA weight",
            column=WEIGHTS_KEY,
            row=int(empty_rows.get_column(ROW)[0]),
            value=empty_rows.get_column("soc_code")[0],
        )
    long = weighted
    # 31 occupations carry only whole-number weights, unlike the fractional importance x relevance
    # weights of the rest, probably because their O*NET tasks lack ratings (the authors' README,
    # "Missing data": such weights are handled as described in the paper's appendix).
    whole = (pl.col("weight") == pl.col("weight").round(0)).all().over("soc_code")
    long = add_flags(long, [("whole_number_weights", whole)])
    return select_contract_order(long, WEIGHTS_COLUMNS)


TABLES = (
    RawTable.from_contract(f"{DATASET_ID}__iwa_metrics", read_iwa_metrics),
    RawTable.from_contract(
        f"{DATASET_ID}__soc_ai_applicability_scores", read_soc_ai_applicability_scores
    ),
    RawTable.from_contract(f"{DATASET_ID}__soc_metrics", read_soc_metrics),
    RawTable.from_contract(f"{DATASET_ID}__soc_to_iwas", read_soc_to_iwas),
    RawTable.from_contract(f"{DATASET_ID}__soc_iwa_weights", read_soc_iwa_weights),
)
