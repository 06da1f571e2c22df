"""Broken IBS O*NET task items and Eurostat employment files are refused with where they broke."""

from __future__ import annotations

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

DATASET = "ibs__onet_task_items_isco08"
TASKS = f"{DATASET}__onet_tasks"
TASKS_FILE = "onet_tasks.csv"
EMPLOYMENT = f"{DATASET}__eurostat_employment"
EMPLOYMENT_FILE = "Eurostat_employment_isco.xlsx"


def test_a_truncated_task_file_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.truncate(mirror / DATASET / TASKS_FILE, tmp_path / TASKS_FILE)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, TASKS, TASKS_FILE, broken)


def test_a_renamed_task_item_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.rename_text_column(
        mirror / DATASET / TASKS_FILE, tmp_path / TASKS_FILE, "t_4C3b7", "t_4C3b7x"
    )
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TASKS, TASKS_FILE, broken, column="t_4C3b7"
    )


def test_a_task_item_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(
        mirror / DATASET / TASKS_FILE, tmp_path / TASKS_FILE, "t_4A2a4", 7, "x"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TASKS, TASKS_FILE, broken, column="t_4A2a4"
    )
    assert error.row == 7


def test_a_task_value_off_the_scale_breaks_the_contract(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(
        mirror / DATASET / TASKS_FILE, tmp_path / TASKS_FILE, "t_4A2a4", 2, "7.5"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TASKS, TASKS_FILE, broken, column="value"
    )
    assert "maximum" in str(error) and error.row == 2


def test_a_truncated_employment_workbook_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.truncate(mirror / DATASET / EMPLOYMENT_FILE, tmp_path / EMPLOYMENT_FILE)
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, EMPLOYMENT, EMPLOYMENT_FILE, broken
    )


def test_a_renamed_country_column_is_named_with_its_sheet(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.rename_excel_column(
        mirror / DATASET / EMPLOYMENT_FILE,
        tmp_path / EMPLOYMENT_FILE,
        "Italy",
        "Italia",
        sheet="ISCO4",
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, EMPLOYMENT, EMPLOYMENT_FILE, broken, column="Italy"
    )
    assert "ISCO4" in error.file


def test_employment_of_the_wrong_type_is_named_with_sheet_and_row(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_excel_cell(
        mirror / DATASET / EMPLOYMENT_FILE,
        tmp_path / EMPLOYMENT_FILE,
        "Italy",
        5,
        "22 156",
        sheet="ISCO4",
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, EMPLOYMENT, EMPLOYMENT_FILE, broken, column="Italy"
    )
    assert error.row == 5 and "ISCO4" in error.file


def test_negative_employment_breaks_the_contract(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.set_excel_cell(
        mirror / DATASET / EMPLOYMENT_FILE,
        tmp_path / EMPLOYMENT_FILE,
        "Spain",
        3,
        -5,
        sheet="ISCO2",
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        EMPLOYMENT,
        EMPLOYMENT_FILE,
        broken,
        column="employment_thousands",
    )
    assert "minimum" in str(error)
