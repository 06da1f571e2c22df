"""O*NET 29.3 database (May 2025 release): occupations, tasks, work activities, job zones, skills,
knowledge and the reference tables that decode them. One raw table per published file.

The text files are tab-separated UTF-8 with a header row; a value that itself holds a double quote
is published CSV-style (wrapped in quotes, inner quotes doubled), so the usual quote handling
applies. Skills, Knowledge and Tasks to DWAs come as Excel workbooks (one sheet each) and are read
with calamine. Every code stays text: O*NET-SOC "43-4061.00", Element ID "4.A.1.a.1", IWA ID
"4.A.1.a.1.I01", DWA ID "4.A.1.a.1.I01.D01". Task IDs are O*NET's integer task numbers (BIGINT).

Quirks handled (flagged in `_flags`, never dropped):
- Dates are published as month and year ("08/2023"); they become the first day of that month.
- Task Statements: analyst-written tasks (Domain Source "Analyst") have no Task Type and no
  Incumbents Responding; tasks carried over from an earlier analysis ("Analyst - Transition") have
  a Task Type but no Incumbents Responding. Incumbents Responding is published as "95.0".
- Skills and Knowledge are long already (one row per occupation, element and scale). "Not
  Relevant" only applies to the Level scale (null on Importance rows); Knowledge rated by
  occupational experts has no standard error, confidence bounds or suppression advice, rows from
  the "Analyst - Transition" source have no N either, and ratings with a standard error of 0 have no
  confidence bounds.
- Occupation Data lists 1,016 codes, but O*NET collects no tasks or ratings for the residual
  "All Other" codes and the military codes (55-xxxx): they are flagged.
- Emerging Tasks publishes its Original Task ID as "21280.0" and has it only on revisions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ingestion.readers import (
    ROW,
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    contract_types,
    read_excel_sheet,
    read_text_table,
    select_contract_order,
    snake_case,
)

DATASET_ID = "onet__database"

MONTH_PATTERN = r"^(0[1-9]|1[0-2])/(19|20)\d{2}$"


@dataclass(frozen=True)
class _Spec:
    """How one O*NET file becomes one raw table."""

    entity: str
    file: str
    columns: tuple[str, ...]  # source header, in order
    months: tuple[str, ...] = ()  # snake_case columns holding "MM/YYYY"
    flags: Callable[[], list[tuple[str, pl.Expr]]] = list
    sheet: str | None = None  # Excel sheet name; None for tab-separated text

    @property
    def names(self) -> list[str]:
        return [snake_case(c) for c in self.columns]


def _parse_months(frame: pl.DataFrame, ref: SourceRef, columns: Sequence[str]) -> pl.DataFrame:
    """'08/2023' -> 2023-08-01; anything else is an error naming the column and row."""
    out = []
    for column in columns:
        text = frame.get_column(column).str.strip_chars()
        bad = text.is_not_null() & ~text.str.contains(MONTH_PATTERN)
        if bad.any():
            idx = bad.arg_true()[0]
            raise ref.error(
                f"expected a month as MM/YYYY ({int(bad.sum())} such cells)",
                column=column,
                row=int(frame.get_column(ROW)[idx]),
                value=text[idx],
            )
        out.append(("01/" + text).str.to_date("%d/%m/%Y").alias(column))
    return frame.with_columns(out)


def _read(spec: _Spec, path: Path) -> pl.DataFrame:
    ref = SourceRef(DATASET_ID, spec.file)
    if spec.sheet is None:
        frame = read_text_table(path, ref, expected_columns=spec.columns, separator="\t")
    else:
        frame = read_excel_sheet(path, ref, sheet=spec.sheet, expected_columns=spec.columns)
    frame = frame.rename(dict(zip(spec.columns, spec.names, strict=True)))
    # the landing contract's types; month columns are read as text and parsed below
    types = contract_types(f"{DATASET_ID}__{spec.entity}", spec.names)
    frame = cast_columns(
        frame, ref, {n: pl.String() if n in spec.months else t for n, t in types.items()}
    )
    frame = _parse_months(frame, ref, spec.months)
    frame = add_flags(frame, spec.flags())
    return select_contract_order(frame, spec.names)


# --- flags -------------------------------------------------------------------------------------


def _occupation_flags() -> list[tuple[str, pl.Expr]]:
    title, description = pl.col("title"), pl.col("description")
    return [
        (
            "all_other_residual",
            title.str.ends_with(", All Other")
            | (
                description.str.starts_with("All ")
                & description.str.contains("not listed separately")
            ),
        ),
        ("military", pl.col("o_net_soc_code").str.starts_with("55-")),
    ]


def _task_flags() -> list[tuple[str, pl.Expr]]:
    return [
        ("task_type_missing", pl.col("task_type").is_null()),
        ("incumbents_responding_missing", pl.col("incumbents_responding").is_null()),
    ]


def _hierarchy_flags(*pairs: tuple[str, str]) -> Callable[[], list[tuple[str, pl.Expr]]]:
    """An ID must start with its parent's ID and a dot (DWA within IWA within element)."""

    def rules() -> list[tuple[str, pl.Expr]]:
        mismatch = pl.lit(False)
        for child, parent in pairs:
            mismatch = mismatch | ~pl.col(child).str.starts_with(pl.col(parent) + ".")
        return [("id_hierarchy_mismatch", mismatch)]

    return rules


def _job_zone_flags() -> list[tuple[str, pl.Expr]]:
    return [("preliminary", pl.col("domain_source") == "Analyst - Preliminary")]


SCALE_RANGES = {"IM": (1.0, 5.0), "LV": (0.0, 7.0)}


def _rating_flags() -> list[tuple[str, pl.Expr]]:
    value, scale = pl.col("data_value"), pl.col("scale_id")
    outside = pl.lit(False)
    for scale_id, (low, high) in SCALE_RANGES.items():
        outside = outside | ((scale == scale_id) & ((value < low) | (value > high)))
    return [
        ("recommend_suppress", pl.col("recommend_suppress").fill_null(False)),
        ("not_relevant", pl.col("not_relevant").fill_null(False)),
        ("n_missing", pl.col("n").is_null()),
        ("standard_error_missing", pl.col("standard_error").is_null()),
        (
            "ci_bounds_missing",
            pl.col("lower_ci_bound").is_null() | pl.col("upper_ci_bound").is_null(),
        ),
        ("recommend_suppress_missing", pl.col("recommend_suppress").is_null()),
        ("not_relevant_missing_on_level", (scale == "LV") & pl.col("not_relevant").is_null()),
        ("value_outside_scale", outside),
    ]


def _emerging_flags() -> list[tuple[str, pl.Expr]]:
    revision = pl.col("category") == "Revision"
    has_original = pl.col("original_task_id").is_not_null()
    return [
        ("revision_without_original_task", revision & ~has_original),
        ("new_task_with_original_task", ~revision & has_original),
    ]


# --- the files ---------------------------------------------------------------------------------

RATING_COLUMNS = (
    "O*NET-SOC Code",
    "Title",
    "Element ID",
    "Element Name",
    "Scale ID",
    "Scale Name",
    "Data Value",
    "N",
    "Standard Error",
    "Lower CI Bound",
    "Upper CI Bound",
    "Recommend Suppress",
    "Not Relevant",
    "Date",
    "Domain Source",
)
SPECS: tuple[_Spec, ...] = (
    _Spec(
        "occupation_data",
        "Occupation Data.txt",
        ("O*NET-SOC Code", "Title", "Description"),
        flags=_occupation_flags,
    ),
    _Spec(
        "task_statements",
        "Task Statements.txt",
        (
            "O*NET-SOC Code",
            "Title",
            "Task ID",
            "Task",
            "Task Type",
            "Incumbents Responding",
            "Date",
            "Domain Source",
        ),
        months=("date",),
        flags=_task_flags,
    ),
    _Spec(
        "tasks_to_dwas",
        "Tasks to DWAs.xlsx",
        (
            "O*NET-SOC Code",
            "Title",
            "Task ID",
            "Task",
            "DWA ID",
            "DWA Title",
            "Date",
            "Domain Source",
        ),
        months=("date",),
        sheet="Tasks to DWAs",
    ),
    _Spec(
        "dwa_reference",
        "DWA Reference.txt",
        ("Element ID", "Element Name", "IWA ID", "IWA Title", "DWA ID", "DWA Title"),
        flags=_hierarchy_flags(("dwa_id", "iwa_id"), ("iwa_id", "element_id")),
    ),
    _Spec(
        "iwa_reference",
        "IWA Reference.txt",
        ("Element ID", "Element Name", "IWA ID", "IWA Title"),
        flags=_hierarchy_flags(("iwa_id", "element_id")),
    ),
    _Spec(
        "job_zones",
        "Job Zones.txt",
        ("O*NET-SOC Code", "Title", "Job Zone", "Date", "Domain Source"),
        months=("date",),
        flags=_job_zone_flags,
    ),
    _Spec(
        "job_zone_reference",
        "Job Zone Reference.txt",
        ("Job Zone", "Name", "Experience", "Education", "Job Training", "Examples", "SVP Range"),
    ),
    _Spec(
        "skills",
        "Skills.xlsx",
        RATING_COLUMNS,
        months=("date",),
        flags=_rating_flags,
        sheet="Skills",
    ),
    _Spec(
        "knowledge",
        "Knowledge.xlsx",
        RATING_COLUMNS,
        months=("date",),
        flags=_rating_flags,
        sheet="Knowledge",
    ),
    _Spec(
        "scales_reference",
        "Scales Reference.txt",
        ("Scale ID", "Scale Name", "Minimum", "Maximum"),
    ),
    _Spec(
        "content_model_reference",
        "Content Model Reference.txt",
        ("Element ID", "Element Name", "Description"),
    ),
    _Spec(
        "task_categories",
        "Task Categories.txt",
        ("Scale ID", "Scale Name", "Category", "Category Description"),
    ),
    _Spec(
        "work_context_categories",
        "Work Context Categories.txt",
        (
            "Element ID",
            "Element Name",
            "Scale ID",
            "Scale Name",
            "Category",
            "Category Description",
        ),
    ),
    _Spec(
        "emerging_tasks",
        "Emerging Tasks.txt",
        (
            "O*NET-SOC Code",
            "Title",
            "Task",
            "Category",
            "Original Task ID",
            "Original Task",
            "Date",
            "Domain Source",
        ),
        months=("date",),
        flags=_emerging_flags,
    ),
)


def _reader(spec: _Spec) -> Callable[[Path], pl.DataFrame]:
    def read(path: Path) -> pl.DataFrame:
        return _read(spec, path)

    read.__name__ = f"read_{spec.entity}"
    read.__doc__ = f"Typed `{spec.file}`: raw table {DATASET_ID}__{spec.entity}."
    return read


READERS: dict[str, Callable[[Path], pl.DataFrame]] = {s.entity: _reader(s) for s in SPECS}

TABLES = tuple(
    RawTable.from_contract(f"{DATASET_ID}__{spec.entity}", READERS[spec.entity]) for spec in SPECS
)
