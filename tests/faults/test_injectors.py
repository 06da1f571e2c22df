"""The Excel injectors edit the sheet XML inside the zip: check on a small workbook that what they
write is what openpyxl reads back, whatever the cell holds or lacks."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest

from tests.faults import injectors


@pytest.fixture
def workbook(tmp_path):
    """Sheet 'Notes', then sheet 'Data' (a title row, the header in row 2, a missing cell in B4,
    a missing row 5), saved with its two sheet parts swapped so that the sheet called 'Data' is
    not xl/worksheets/sheet2.xml: a name is found only through the workbook's relationships."""
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active["A1"] = "read me"
    data = book.create_sheet("Data")
    for row in (["Title"], ["code", 2014, "value"], ["a", 1, 2.5], ["b", None, 3], [], ["d", 4, 5]):
        data.append(row)
    book.save(tmp_path / "plain.xlsx")
    path = tmp_path / "book.xlsx"
    swap = {"xl/worksheets/sheet1.xml": "xl/worksheets/sheet2.xml"}
    swap.update({v: k for k, v in swap.items()})
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as zin, zipfile.ZipFile(path, "w") as zout:
        for name in zin.namelist():
            content = zin.read(swap.get(name, name))
            if name == "xl/_rels/workbook.xml.rels":
                content = content.replace(b"sheet1.xml", b"sheetX").replace(
                    b"sheet2.xml", b"sheet1.xml"
                )
                content = content.replace(b"sheetX", b"sheet2.xml")
            zout.writestr(name, content)
    return path


def values(path, sheet):
    book = openpyxl.load_workbook(path)
    return [list(r) for r in book[sheet].iter_rows(values_only=True)]


def test_cells_are_set_by_header_name_in_a_sheet_found_by_name(workbook, tmp_path):
    edited = injectors.set_excel_cell(
        workbook, tmp_path / "1.xlsx", "value", 1, "n/a", sheet="Data", header_row=2
    )
    edited = injectors.set_excel_cell(
        edited, tmp_path / "2.xlsx", "2014", 2, 7, sheet=1, header_row=2
    )
    edited = injectors.set_excel_cell(
        edited, tmp_path / "3.xlsx", "code", 3, "c & <d>", sheet="Data", header_row=2
    )
    assert values(edited, "Data") == [
        ["Title", None, None],
        ["code", 2014, "value"],
        ["a", 1, "n/a"],
        ["b", 7, 3],
        ["c & <d>", None, None],
        ["d", 4, 5],
    ]
    assert values(edited, "Notes") == [["read me"]]


def test_a_renamed_header_can_be_renamed_again(workbook, tmp_path):
    # The first rename writes an inline string; the second must read it to find the column.
    once = injectors.rename_excel_column(
        workbook, tmp_path / "1.xlsx", "value", "v", sheet="Data", header_row=2
    )
    twice = injectors.rename_excel_column(
        once, tmp_path / "2.xlsx", "v", " v2 ", sheet="Data", header_row=2
    )
    assert values(twice, "Data")[1] == ["code", 2014, " v2 "]
    with pytest.raises(KeyError, match="value"):
        injectors.set_excel_cell(
            twice, tmp_path / "3.xlsx", "value", 1, 0, sheet="Data", header_row=2
        )


def test_a_sheet_is_renamed(workbook, tmp_path):
    renamed = injectors.rename_excel_sheet(workbook, tmp_path / "1.xlsx", "Data", "Data & more")
    assert openpyxl.load_workbook(renamed).sheetnames == ["Notes", "Data & more"]
    assert values(renamed, "Data & more")[1] == ["code", 2014, "value"]
