"""Broken ISCO crosswalks and structure files are refused naming dataset, file and column."""

from __future__ import annotations

import pytest

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

DATASET = "bls__isco08_soc2010"
BLS = ("isco08_to_soc2010", "isco08toBLS.xlsx")
STRUCTURE = ("isco_structure", "source_isco_structure.csv")
ISCO88 = ("isco88_to_isco08", "source_isco_88_08_crosswalk.csv")


@pytest.mark.parametrize("entity,file", [BLS, STRUCTURE, ISCO88])
def test_a_truncated_file_is_refused(tmp_path, monkeypatch, mirror, entity, file, built_warehouse):
    broken = injectors.truncate(mirror / DATASET / file, tmp_path / file)
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken
    )


def test_a_renamed_excel_column_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    entity, file = BLS
    broken = injectors.rename_excel_column(
        mirror / DATASET / file, tmp_path / file, "ISCO-08 Code", "ISCO08"
    )
    assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__{entity}",
        file,
        broken,
        column="ISCO-08 Code",
    )


def test_an_isco_code_that_is_not_a_code_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    entity, file = BLS
    broken = injectors.set_excel_cell(
        mirror / DATASET / file, tmp_path / file, "ISCO-08 Code", 4, "13X"
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__{entity}",
        file,
        broken,
        column="isco08_code",
    )
    assert error.row == 4


@pytest.mark.parametrize(
    "entity,file,column", [(*STRUCTURE, "definition"), (*ISCO88, "isco08_code")]
)
def test_a_renamed_csv_column_is_named(
    tmp_path, monkeypatch, mirror, entity, file, column, built_warehouse
):
    broken = injectors.rename_text_column(
        mirror / DATASET / file, tmp_path / file, column, f"{column}_new"
    )
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken, column=column
    )


def test_a_level_of_the_wrong_type_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    entity, file = STRUCTURE
    broken = injectors.set_text_cell(mirror / DATASET / file, tmp_path / file, "level", 5, "unit")
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken, column="level"
    )
    assert error.row == 5


def test_an_isco88_code_of_the_wrong_type_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    entity, file = ISCO88
    broken = injectors.set_text_cell(
        mirror / DATASET / file, tmp_path / file, "isco88_code", 8, "12a4"
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__{entity}",
        file,
        broken,
        column="isco88_code",
    )
    assert error.row == 8
