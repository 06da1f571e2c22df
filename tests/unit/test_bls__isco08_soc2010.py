"""ISCO crosswalk and structure readers on small hand-written files."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from ingestion.bls.isco08_soc2010 import (
    BLS_SOURCE,
    STRUCTURE_COLUMNS,
    read_isco08_to_soc2010,
    read_isco88_to_isco08,
    read_isco_structure,
)
from ingestion.errors import AtlasDataError

# ISCO-08 -> SOC 2010 ------------------------------------------------------------------------------


def bls_book(tmp_path: Path, rows: list[tuple], header=tuple(BLS_SOURCE), title_rows=0) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for _ in range(title_rows):
        sheet.append(["ISCO-08 to 2010 SOC crosswalk"])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    path = tmp_path / "isco08toBLS.xlsx"
    book.save(path)
    return path


BLS_ROWS = [
    ("11-1011", "Chief Executives", "*", "1112", "Senior government officials"),
    ("11-1011", "Chief Executives", "*", "1120", "Managing directors and chief executives"),
    ("13-2051 ", "Financial Analysts", "*", "2413", "Financial analysts"),
    ("13-2051", "Financial Analysts", "*", "3311 ", "Securities and finance dealers and brokers"),
    (
        "19-2099",
        "Physical Scientists, All Other",
        None,
        "211",
        "Physical and earth science professionals",
    ),
    ("37-1011", "First-Line Supervisors of Housekeeping", None, "5151", "Cleaning supervisors"),
    ("37-1011", "First-Line Supervisors of Housekeeping", None, "5222", "Shop supervisors"),
]


def test_bls_crosswalk_trims_codes_and_flags_quirks(tmp_path):
    frame = read_isco08_to_soc2010(bls_book(tmp_path, BLS_ROWS, title_rows=2))
    assert frame.height == 7
    codes = frame.get_column("soc2010_code").to_list()
    assert codes[2] == codes[3] == "13-2051"  # the trailing space would have made two codes
    assert frame.get_column("isco08_code").to_list()[3] == "3311"
    flags = frame.get_column("_flags").to_list()
    assert flags[:2] == [None, None]
    assert flags[2] == flags[3] == "whitespace_trimmed"
    assert flags[4] == "isco08_minor_group"
    assert flags[5] == flags[6] == "several_isco_without_part_marker"
    assert frame.get_column("is_partial").to_list() == [True] * 4 + [False] * 3
    assert frame.get_column("part").to_list()[4] is None


def test_bls_crosswalk_renamed_column_is_named(tmp_path):
    header = [("ISCO08 Code" if c == "ISCO-08 Code" else c) for c in BLS_SOURCE]
    with pytest.raises(AtlasDataError) as caught:
        read_isco08_to_soc2010(bls_book(tmp_path, BLS_ROWS, header=header))
    assert caught.value.column == "ISCO-08 Code"


# ISCO-08 structure --------------------------------------------------------------------------------


def write_structure(tmp_path: Path, rows: list[list[str]], header=STRUCTURE_COLUMNS) -> Path:
    import csv

    path = tmp_path / "source_isco_structure.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


STRUCTURE_ROWS = [
    [
        "0",
        "1",
        "1",
        "Armed Forces Occupations",
        "Armed forces occupations include ...",
        "NA",
        "Occupations in this major group:\r\n01 Commissioned\r\n",
        "Excluded from this group are: \r\n - police",
        "NA",
    ],
    [
        "01",
        "2",
        "2",
        "Commissioned Armed forces Officers",
        "Officers ...",
        "Tasks include -\r\n(a) leading;\r\n",
        "Examples:\r\n- Admiral\r\n",
        "NA",
        "NA",
    ],
    [
        "0110",
        "4",
        "4",
        "Commissioned Armed Forces Officers",
        "Officers ...",
        "Tasks include -\r\n(a) leading;\r\n",
        "Examples:\r\n- Admiral\r\n",
        "NA",
        "A note",
    ],
]


def test_structure_keeps_leading_zeros_nulls_na_and_multiline_text(tmp_path):
    frame = read_isco_structure(write_structure(tmp_path, STRUCTURE_ROWS))
    assert frame.get_column("isco08_code").to_list() == ["0", "01", "0110"]
    first = frame.row(0, named=True)
    assert first["tasks_include"] is None and first["notes"] is None
    assert first["included_occupations"].startswith("Occupations in this major group:\r\n01")
    assert frame.row(2, named=True)["notes"] == "A note"
    # 0110's parent 011 is missing from this small file.
    assert frame.get_column("_flags").to_list() == [None, None, "parent_missing"]


def test_structure_level_that_is_not_a_number_is_named(tmp_path):
    rows = [*STRUCTURE_ROWS[:1], ["01", "2", "two", *STRUCTURE_ROWS[1][3:]]]
    with pytest.raises(AtlasDataError) as caught:
        read_isco_structure(write_structure(tmp_path, rows))
    assert caught.value.column == "level" and caught.value.row == 2


def test_structure_level_mismatch_is_flagged(tmp_path):
    rows = [*STRUCTURE_ROWS[:1], ["01", "3", "3", *STRUCTURE_ROWS[1][3:]]]
    frame = read_isco_structure(write_structure(tmp_path, rows))
    assert frame.get_column("_flags").to_list() == [None, "level_mismatch"]


# ISCO-88 -> ISCO-08 -------------------------------------------------------------------------------

EMPTY = "," * 5
ISCO88 = (
    "\ufeffisco88_title,isco88_code,isco08_code,isco08_title" + EMPTY + "\r\n"
    "Legislators,1110,1111,Legislators" + EMPTY + "\r\n"
    "#N/A,,5249,Sales Workers Not Elsewhere Classified" + EMPTY + "\r\n"
    "Armed Forces,110,110,Commissioned Armed Forces Officers" + EMPTY + "\r\n"
    "Armed Forces,110,210,Non-commissioned Armed Forces Officers "
    + EMPTY
    + "\r\n"
    + ("," * 8 + "\r\n") * 3
    + "," * 8  # published without a final line break
)


def write_isco88(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "source_isco_88_08_crosswalk.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def test_isco88_strips_empty_columns_and_rows_and_restores_zeros(tmp_path):
    frame = read_isco88_to_isco08(write_isco88(tmp_path, ISCO88))
    assert frame.columns[:4] == ["isco88_title", "isco88_code", "isco08_code", "isco08_title"]
    assert frame.height == 4  # the empty rows are not data
    lookup = frame.row(1, named=True)
    assert lookup["isco88_title"] is None and lookup["isco88_code"] is None
    assert lookup["_flags"] == "isco88_lookup_error;isco88_code_missing"
    armed = frame.row(2, named=True)
    assert armed["isco88_code"] == "0110" and armed["isco08_code"] == "0110"
    assert armed["_flags"] == "code_zero_padded;isco88_code_splits"
    assert frame.row(3, named=True)["isco08_title"] == "Non-commissioned Armed Forces Officers"


def test_isco88_value_in_an_unnamed_column_is_an_error(tmp_path):
    text = ISCO88.replace(
        "Legislators,1110,1111,Legislators,", "Legislators,1110,1111,Legislators,x", 1
    )
    with pytest.raises(AtlasDataError) as caught:
        read_isco88_to_isco08(write_isco88(tmp_path, text))
    assert caught.value.row == 1 and caught.value.value == "x"


def test_isco88_duplicate_pair_and_renamed_column(tmp_path):
    text = ISCO88.replace("Armed Forces,110,210", "Armed Forces,110,110")
    with pytest.raises(AtlasDataError, match="duplicate"):
        read_isco88_to_isco08(write_isco88(tmp_path, text))
    with pytest.raises(AtlasDataError) as caught:
        read_isco88_to_isco08(write_isco88(tmp_path, ISCO88.replace("isco08_code", "isco_08_code")))
    assert caught.value.column == "isco08_code"
