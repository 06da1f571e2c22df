"""Broken SOC code lists and crosswalks are refused naming dataset, file and column."""

from __future__ import annotations

import pytest

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

DATASET = "bls__soc_crosswalks"
CSV_TABLES = [
    # (table, file, column to rename, cell to break, raw column named by the error)
    (
        "soc2010_to_soc2018",
        "crosswalk_soc2010_to_soc2018.csv",
        "2018 SOC Code",
        "2010 SOC Code",
        "soc2010_code",
    ),
    (
        "onet_soc2010_to_2019",
        "2010_to_2019_soc_crosswalk.csv",
        "O*NET-SOC 2019 Code",
        "O*NET-SOC 2019 Code",
        "onet_soc2019_code",
    ),
]
EXCEL_TABLES = [
    # (table, file, sheet, header row, column to rename, cell to break, column named by the error)
    (
        "census_occ_codes_2018",
        "2018-occupation-code-list-and-crosswalk.xlsx",
        "2018 Census Occ Code List",
        5,
        "2018 SOC Code",
        "2018 Census Code",
        "2018 Census Code",
    ),
    (
        "onet_soc_to_soc",
        "nem-onet-to-soc-crosswalk.xlsx",
        "ONET to SOC crosswalk",
        5,
        "NEM Code",
        "Sort Order",
        "Sort Order",
    ),
]
TEXT_FILE = "SOC2018-All-Codes.txt"
ALL_FILES = [(t[0], t[1]) for t in CSV_TABLES + EXCEL_TABLES] + [("soc2018_codes", TEXT_FILE)]


@pytest.mark.parametrize("entity,file", ALL_FILES)
def test_a_truncated_file_is_refused(tmp_path, monkeypatch, mirror, entity, file, built_warehouse):
    broken = injectors.truncate(mirror / DATASET / file, tmp_path / file)
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken
    )


@pytest.mark.parametrize("entity,file,column,_cell,_raw", CSV_TABLES)
def test_a_renamed_csv_column_is_named(
    tmp_path, monkeypatch, mirror, entity, file, column, _cell, _raw, built_warehouse
):
    broken = injectors.rename_text_column(
        mirror / DATASET / file, tmp_path / file, column, f"{column} (new)"
    )
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken, column=column
    )


@pytest.mark.parametrize("entity,file,_column,cell,raw", CSV_TABLES)
def test_a_code_that_is_not_a_code_is_named(
    tmp_path, monkeypatch, mirror, entity, file, _column, cell, raw, built_warehouse
):
    broken = injectors.set_text_cell(mirror / DATASET / file, tmp_path / file, cell, 7, "11-10X1")
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken, column=raw
    )
    assert error.row == 7 and "pattern" in str(error)


@pytest.mark.parametrize("entity,file,sheet,header,column,_cell,_named", EXCEL_TABLES)
def test_a_renamed_excel_column_is_named(
    tmp_path,
    monkeypatch,
    mirror,
    entity,
    file,
    sheet,
    header,
    column,
    _cell,
    _named,
    built_warehouse,
):
    broken = injectors.rename_excel_column(
        mirror / DATASET / file,
        tmp_path / file,
        column,
        f"{column} (new)",
        sheet=sheet,
        header_row=header,
    )
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken, column=column
    )


@pytest.mark.parametrize("entity,file,sheet,header,_column,cell,named", EXCEL_TABLES)
def test_an_excel_value_of_the_wrong_type_is_named(
    tmp_path,
    monkeypatch,
    mirror,
    entity,
    file,
    sheet,
    header,
    _column,
    cell,
    named,
    built_warehouse,
):
    broken = injectors.set_excel_cell(
        mirror / DATASET / file, tmp_path / file, cell, 12, "twelve", sheet=sheet, header_row=header
    )
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken, column=named
    )


def _edit_line(mirror, tmp_path, number, edit):
    lines = (mirror / DATASET / TEXT_FILE).read_text(encoding="utf-8").splitlines(keepends=True)
    lines[number - 1] = edit(lines[number - 1])
    path = tmp_path / TEXT_FILE
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_a_changed_code_list_layout_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    # The list has no header to rename: its equivalent is the code/title separator changing.
    broken = _edit_line(mirror, tmp_path, 20, lambda line: line.replace("  ", "\t", 1))
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__soc2018_codes",
        TEXT_FILE,
        broken,
        column="soc2018_title",
    )
    assert error.row == 20


def test_a_code_list_code_of_the_wrong_type_is_named(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = _edit_line(mirror, tmp_path, 30, lambda line: "XX-" + line[3:])
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__soc2018_codes",
        TEXT_FILE,
        broken,
        column="soc2018_code",
    )
    assert error.row == 30
