"""Broken Frey & Osborne files are refused with an error that says where; nothing is lost."""

from __future__ import annotations

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

TABLE = DATASET = "frey_osborne__computerisation"
FILE = "frey_osborne_automation_risk_index_clean.csv"


def test_a_truncated_file_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.truncate(mirror / DATASET / FILE, tmp_path / FILE)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken)


def test_a_renamed_column_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.rename_text_column(
        mirror / DATASET / FILE, tmp_path / FILE, "Probability", "Prob"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="Probability"
    )
    assert "missing" in str(error)


def test_a_probability_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(
        mirror / DATASET / FILE, tmp_path / FILE, "Probability", 3, "high"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="Probability"
    )
    assert error.row == 3


def test_a_probability_above_one_breaks_the_contract(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(
        mirror / DATASET / FILE, tmp_path / FILE, "Probability", 9, "1.5"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="probability"
    )
    assert "maximum" in str(error) and error.row == 9


def test_a_soc_code_without_its_dash_breaks_the_contract(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(
        mirror / DATASET / FILE, tmp_path / FILE, "SOC code", 5, "291125"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="soc_code"
    )
    assert "pattern" in str(error)
