"""Broken OEWS national files are refused with an error that says where; the landed table stays."""

from __future__ import annotations

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

TABLE = DATASET = "bls__oews_national"
FILE = "oews_national_2024.csv"


def test_a_truncated_file_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.truncate(mirror / DATASET / FILE, tmp_path / FILE)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken)


def test_a_renamed_column_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.rename_text_column(
        mirror / DATASET / FILE, tmp_path / FILE, "A_MEDIAN", "MEDIAN"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="A_MEDIAN"
    )
    assert "missing" in str(error)


def test_a_wage_that_is_not_a_number_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(mirror / DATASET / FILE, tmp_path / FILE, "A_MEAN", 5, "lots")
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="A_MEAN"
    )
    assert error.row == 5


def test_an_unknown_marker_is_not_silently_null(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.set_text_cell(mirror / DATASET / FILE, tmp_path / FILE, "H_PCT90", 3, "##")
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="H_PCT90"
    )
    assert error.row == 3


def test_a_wage_above_the_top_code_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    # A percentile at or above $239,200 must be published as '#', never as a number.
    broken = injectors.set_text_cell(
        mirror / DATASET / FILE, tmp_path / FILE, "A_PCT90", 4, "250000"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="a_pct90"
    )
    assert "maximum" in str(error) and error.row == 4
