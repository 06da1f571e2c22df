"""Broken employment projections files are refused with an error that says where."""

from __future__ import annotations

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

TABLE = DATASET = "bls__employment_projections"
FILE = "source_employment_projections.csv"


def test_a_truncated_file_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.truncate(mirror / DATASET / FILE, tmp_path / FILE)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken)


def test_a_renamed_column_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.rename_text_column(
        mirror / DATASET / FILE, tmp_path / FILE, "employment_2034_thousands", "employment_2034"
    )
    assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        TABLE,
        FILE,
        broken,
        column="employment_2034_thousands",
    )


def test_a_number_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(
        mirror / DATASET / FILE, tmp_path / FILE, "education_code", 6, "BA"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="education_code"
    )
    assert error.row == 6


def test_an_unknown_education_level_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.set_text_cell(
        mirror / DATASET / FILE, tmp_path / FILE, "typical_entry_level_edu", 2, "PhD"
    )
    assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        TABLE,
        FILE,
        broken,
        column="typical_entry_level_edu",
    )
