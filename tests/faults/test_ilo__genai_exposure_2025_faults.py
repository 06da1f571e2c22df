"""A broken ILO workbook is refused with an error that says where; the landed table is kept."""

from __future__ import annotations

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

TABLE = DATASET = "ilo__genai_exposure_2025"
FILE = "Final_Scores_ISCO08_Gmyrek_et_al_2025.xlsx"


def test_a_truncated_workbook_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.truncate(mirror / DATASET / FILE, tmp_path / FILE)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken)


def test_a_renamed_column_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.rename_excel_column(
        mirror / DATASET / FILE, tmp_path / FILE, "score_2025", "final_score_2025", sheet="Sheet1"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="score_2025"
    )
    assert "missing" in str(error)


def test_a_score_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_excel_cell(
        mirror / DATASET / FILE, tmp_path / FILE, "score_2025", 10, "high", sheet="Sheet1"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="score_2025"
    )
    assert error.row == 10
