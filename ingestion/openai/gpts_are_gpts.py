"""GPTs are GPTs (Eloundou, Manning, Mishkin & Rock, 2023/2024): task-level LLM exposure labels.

Four files from the authors' repository (openai/GPTs-are-GPTs, data/):

- `full_labelset.tsv`: one row per O*NET task (19,265 tasks of 923 O*NET-SOC occupations) with
  the human and GPT-4 exposure labels (E0 no exposure, E1 direct exposure, E2 exposure through
  LLM-powered software), the GPT-4 automation label (T0..T4) and the numeric scores the paper
  derives from them: alpha = E1, beta = E1 + 0.5*E2, gamma = E1 + E2 (from `gpt4_exposure`) and
  automation = T-level / 4 (from `gpt4_automation`).
- `full_onet_data.tsv`: the same tasks with the paper's task weights (core = 2, supplemental or
  unrated = 1; equal weight = 1).
- `automation_gpt4_human_labels.tsv`: GPT-4 automation labels for every task, with a human
  automation label on a 100-task sample (null elsewhere). Published with CRLF line ends and no final
  line break.
- `occupations_onet_work_contexts.csv`: four O*NET work-context ratings rescaled to 0..1 per
  occupation, keyed by occupation title only (no code). Wide in the source (one column per work
  context); landed long, one row per occupation and work context.

The TSV files carry a leading unnamed pandas index column: it is kept as `source_index` (0-based,
= `_source_row` - 1) so that a row can be traced back to the authors' frames. Task IDs are published
as floats in two files (`8823.0`) and as integers in the third; all land as BIGINT. Label codes are
kept exactly as published (E0/E1/E2, T0..T4); rows whose numeric scores disagree with their labels
are flagged, not changed.
"""

from __future__ import annotations

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

DATASET_ID = "openai__gpts_are_gpts"

LABELSET_FILE = "full_labelset.tsv"
ONET_DATA_FILE = "full_onet_data.tsv"
AUTOMATION_FILE = "automation_gpt4_human_labels.tsv"
WORK_CONTEXT_FILE = "occupations_onet_work_contexts.csv"

TASK_COLUMNS = {
    "O*NET-SOC Code": "o_net_soc_code",
    "Task ID": "task_id",
    "Task": "task",
    "Task Type": "task_type",
    "Title": "title",
}
LABEL_COLUMNS = [
    "human_exposure_agg",
    "gpt4_exposure",
    "gpt4_exposure_alt_rubric",
    "gpt_3_relevant",
    "gpt4_automation",
    "alpha",
    "beta",
    "gamma",
    "automation",
    "human_labels",
]
LABELSET_HEADER = ["", *TASK_COLUMNS, *LABEL_COLUMNS]
LABELSET_COLUMNS = ["source_index", *TASK_COLUMNS.values(), *LABEL_COLUMNS]

ONET_DATA_HEADER = ["", *TASK_COLUMNS, "coreweight", "equalweight"]
ONET_DATA_COLUMNS = ["source_index", *TASK_COLUMNS.values(), "coreweight", "equalweight"]

AUTOMATION_HEADER = ["gpt4_automation", *TASK_COLUMNS, "human_automation"]
AUTOMATION_COLUMNS = [*TASK_COLUMNS.values(), "gpt4_automation", "human_automation"]

WORK_CONTEXTS = [
    "degree_of_automation_context",
    "importance_of_being_exact_or_accurate_context",
    "importance_of_repeating_same_tasks_context",
    "structured_versus_unstructured_work_context",
]
WORK_CONTEXT_HEADER = [WORK_CONTEXTS[0], "occupation", *WORK_CONTEXTS[1:]]
WORK_CONTEXT_COLUMNS = ["occupation", "work_context", "value"]

# The paper's definitions (README: _alpha=E1, _beta=E1+.5*E2, _gamma=E1+E2).
ALPHA = {"E0": 0.0, "E1": 1.0, "E2": 0.0}
BETA = {"E0": 0.0, "E1": 1.0, "E2": 0.5}
GAMMA = {"E0": 0.0, "E1": 1.0, "E2": 1.0}
AUTOMATION = {"T0": 0.0, "T1": 0.25, "T2": 0.5, "T3": 0.75, "T4": 1.0}


def _types(table: str, header: list[str]) -> dict[str, pl.DataType]:
    """The landing contract's type of each source column (the task columns renamed)."""
    columns = ["source_index" if c == "" else c for c in header]
    return contract_types(f"{DATASET_ID}__{table}", columns, lambda c: TASK_COLUMNS.get(c, c))


def _source_index(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.rename({"": "source_index"})


def _score(label: str, mapping: dict[str, float]) -> pl.Expr:
    return pl.col(label).replace_strict(mapping, default=None, return_dtype=pl.Float64)


def read_full_labelset(path: Path, file: str = LABELSET_FILE) -> pl.DataFrame:
    """One row per O*NET task: exposure labels (E0..E2), automation label (T0..T4) and scores."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=LABELSET_HEADER, separator="\t")
    frame = _source_index(frame)
    types = _types("full_labelset", LABELSET_HEADER)
    frame = cast_columns(frame, ref, types, rename=TASK_COLUMNS)
    reject_non_finite(frame, ref, ["alpha", "beta", "gamma", "automation"])
    scores_differ = (
        (pl.col("alpha") != _score("gpt4_exposure", ALPHA))
        | (pl.col("beta") != _score("gpt4_exposure", BETA))
        | (pl.col("gamma") != _score("gpt4_exposure", GAMMA))
    )
    frame = add_flags(
        frame,
        [
            ("task_type_missing", pl.col("task_type").is_null()),
            ("exposure_scores_differ_from_gpt4_label", scores_differ.fill_null(True)),
            (
                "automation_score_differs_from_gpt4_label",
                (pl.col("automation") != _score("gpt4_automation", AUTOMATION)).fill_null(True),
            ),
            (
                "human_labels_differ_from_aggregate",
                pl.col("human_labels").ne_missing(pl.col("human_exposure_agg")),
            ),
        ],
    )
    return select_contract_order(frame, LABELSET_COLUMNS)


def read_full_onet_data(path: Path, file: str = ONET_DATA_FILE) -> pl.DataFrame:
    """One row per O*NET task with the paper's core/supplemental and equal task weights."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=ONET_DATA_HEADER, separator="\t")
    frame = _source_index(frame)
    types = _types("full_onet_data", ONET_DATA_HEADER)
    frame = cast_columns(frame, ref, types, rename=TASK_COLUMNS)
    expected_weight = pl.when(pl.col("task_type") == "Core").then(2).otherwise(1)
    frame = add_flags(
        frame,
        [
            ("task_type_missing", pl.col("task_type").is_null()),
            ("coreweight_differs_from_task_type", pl.col("coreweight") != expected_weight),
        ],
    )
    return select_contract_order(frame, ONET_DATA_COLUMNS)


def read_automation_labels(path: Path, file: str = AUTOMATION_FILE) -> pl.DataFrame:
    """One row per O*NET task: GPT-4 automation label, and the human one on a 100-task sample."""
    ref = SourceRef(DATASET_ID, file)
    # Published with CRLF line ends and without a final line break: a cut-off file is caught by
    # the field count of its last record and by the contract's minimum row count instead.
    frame = read_text_table(
        path,
        ref,
        expected_columns=AUTOMATION_HEADER,
        separator="\t",
        require_final_newline=False,
    )
    types = _types("automation_gpt4_human_labels", AUTOMATION_HEADER)
    frame = cast_columns(frame, ref, types, rename=TASK_COLUMNS)
    frame = add_flags(frame, [("task_type_missing", pl.col("task_type").is_null())])
    return select_contract_order(frame, AUTOMATION_COLUMNS)


def read_work_contexts(path: Path, file: str = WORK_CONTEXT_FILE) -> pl.DataFrame:
    """Long form: one row per occupation title and work context, value rescaled to 0..1."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=WORK_CONTEXT_HEADER)
    # wide in the source: each context column takes the type of the contract's `value`
    contract = contract_types(f"{DATASET_ID}__occupations_onet_work_contexts")
    types = {"occupation": contract["occupation"], **{c: contract["value"] for c in WORK_CONTEXTS}}
    frame = cast_columns(frame, ref, types)
    reject_non_finite(frame, ref, WORK_CONTEXTS)
    long = frame.unpivot(
        on=WORK_CONTEXTS,
        index=["occupation", ROW],
        variable_name="work_context",
        value_name="value",
    ).sort(ROW, maintain_order=True)
    long = add_flags(long, [])
    return select_contract_order(long, WORK_CONTEXT_COLUMNS)


TABLES = (
    RawTable.from_contract(f"{DATASET_ID}__full_labelset", read_full_labelset),
    RawTable.from_contract(f"{DATASET_ID}__full_onet_data", read_full_onet_data),
    RawTable.from_contract(f"{DATASET_ID}__automation_gpt4_human_labels", read_automation_labels),
    RawTable.from_contract(f"{DATASET_ID}__occupations_onet_work_contexts", read_work_contexts),
)
