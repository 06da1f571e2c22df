"""Broken O*NET files are refused with an error that names the dataset, file and column, and the
table landed before stays as it was. Every raw table gets a truncated file, a renamed column and a
value of the wrong type."""

from __future__ import annotations

import pytest

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

DATASET = "onet__database"
TAB = {"delimiter": "\t", "encoding": "utf-8"}

FILES = {
    "occupation_data": "Occupation Data.txt",
    "task_statements": "Task Statements.txt",
    "tasks_to_dwas": "Tasks to DWAs.xlsx",
    "dwa_reference": "DWA Reference.txt",
    "iwa_reference": "IWA Reference.txt",
    "job_zones": "Job Zones.txt",
    "job_zone_reference": "Job Zone Reference.txt",
    "skills": "Skills.xlsx",
    "knowledge": "Knowledge.xlsx",
    "scales_reference": "Scales Reference.txt",
    "content_model_reference": "Content Model Reference.txt",
    "task_categories": "Task Categories.txt",
    "work_context_categories": "Work Context Categories.txt",
    "emerging_tasks": "Emerging Tasks.txt",
}

# entity -> (source column to rename, source column to break, data row, bad value, column named)
FAULTS = {
    "occupation_data": ("Description", "O*NET-SOC Code", 5, "Chief Executives", "o_net_soc_code"),
    "task_statements": ("Task Type", "Task ID", 7, "T8823", "task_id"),
    "tasks_to_dwas": ("DWA ID", "Task ID", 4, "task 8824", "task_id"),
    "dwa_reference": ("IWA Title", "DWA ID", 3, "Review art or design materials.", "dwa_id"),
    "iwa_reference": ("IWA ID", "IWA ID", 2, "4.A.1.a.1-I02", "iwa_id"),
    "job_zones": ("Job Zone", "Job Zone", 6, "five", "job_zone"),
    "job_zone_reference": ("SVP Range", "Job Zone", 2, "two", "job_zone"),
    "skills": ("Data Value", "Data Value", 9, "high", "data_value"),
    "knowledge": ("Recommend Suppress", "N", 12, "many", "n"),
    "scales_reference": ("Maximum", "Maximum", 4, "five", "maximum"),
    "content_model_reference": ("Element ID", "Element ID", 3, "Cognitive Abilities", "element_id"),
    "task_categories": ("Category Description", "Category", 2, "weekly", "category"),
    "work_context_categories": ("Scale ID", "Category", 10, "3rd", "category"),
    "emerging_tasks": ("Original Task ID", "Date", 2, "August 2024", "date"),
}


def table(entity: str) -> str:
    return f"{DATASET}__{entity}"


def is_excel(file: str) -> bool:
    return file.endswith(".xlsx")


@pytest.mark.parametrize("entity", sorted(FILES))
def test_a_truncated_file_is_refused_and_the_table_kept(
    tmp_path, monkeypatch, mirror, entity, built_warehouse
):
    file = FILES[entity]
    broken = injectors.truncate(mirror / DATASET / file, tmp_path / file)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, table(entity), file, broken)


@pytest.mark.parametrize("entity", sorted(FILES))
def test_a_renamed_column_is_named(tmp_path, monkeypatch, mirror, entity, built_warehouse):
    file = FILES[entity]
    column = FAULTS[entity][0]
    src, dst = mirror / DATASET / file, tmp_path / file
    if is_excel(file):
        broken = injectors.rename_excel_column(src, dst, column, column + " (renamed)")
    else:
        broken = injectors.rename_text_column(src, dst, column, column + " (renamed)", **TAB)
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table(entity), file, broken, column=column
    )
    assert "missing" in str(error)


@pytest.mark.parametrize("entity", sorted(FILES))
def test_a_value_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, entity, built_warehouse
):
    file = FILES[entity]
    _, column, row, value, named = FAULTS[entity]
    src, dst = mirror / DATASET / file, tmp_path / file
    if is_excel(file):
        broken = injectors.set_excel_cell(src, dst, column, row, value)
    else:
        broken = injectors.set_text_cell(src, dst, column, row, value, **TAB)
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table(entity), file, broken, column=named
    )
    assert error.row == row


def test_a_duplicate_task_id_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    file = FILES["task_statements"]
    src = mirror / DATASET / file
    first_id = injectors._read_text_rows(src, "\t", "utf-8")[1][2]
    broken = injectors.set_text_cell(src, tmp_path / file, "Task ID", 3, first_id, **TAB)
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        table("task_statements"),
        file,
        broken,
        column="task_id",
    )
    assert "duplicate key" in str(error)


def test_an_unknown_task_type_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    file = FILES["task_statements"]
    broken = injectors.set_text_cell(
        mirror / DATASET / file, tmp_path / file, "Task Type", 5, "Essential", **TAB
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        table("task_statements"),
        file,
        broken,
        column="task_type",
    )
    assert error.row == 5


def test_a_rating_above_its_scale_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    file = FILES["skills"]
    broken = injectors.set_excel_cell(
        mirror / DATASET / file, tmp_path / file, "Data Value", 2, 9.5
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table("skills"), file, broken, column="data_value"
    )
    assert "maximum" in str(error)
    assert error.row == 2
