"""Broken Mihaylov & Tijdens RTI files are refused with an error that says where."""

from __future__ import annotations

import pytest

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

TABLE = DATASET = "mihaylov_tijdens__rti"
FILE = "source_rti_mihaylov_2019.csv"


@pytest.mark.parametrize(
    "fraction,reason",
    [
        (0.5, "only"),  # cut at a line end: a shorter valid file, below the contract's 427 rows
        (0.9973, "fields"),  # cut inside the last line: too few fields
        (0.9999, "truncated"),  # cut inside the last number: the last row is inconsistent
    ],
)
def test_a_truncated_file_is_refused(
    tmp_path, monkeypatch, mirror, fraction, reason, built_warehouse
):
    # the file is published without a final line break, so each kind of cut is caught differently
    broken = injectors.truncate(mirror / DATASET / FILE, tmp_path / FILE, fraction=fraction)
    error = assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken)
    assert reason in str(error)


def test_a_renamed_column_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.rename_text_column(mirror / DATASET / FILE, tmp_path / FILE, "rti", "RTI")
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="rti")


def test_a_share_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(mirror / DATASET / FILE, tmp_path / FILE, "nra", 4, "x")
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="nra"
    )
    assert error.row == 4


def test_an_isco_code_that_lost_a_digit_breaks_the_contract(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(
        mirror / DATASET / FILE, tmp_path / FILE, "isco08_code", 2, "111"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, TABLE, FILE, broken, column="isco08_code"
    )
    assert "pattern" in str(error)
