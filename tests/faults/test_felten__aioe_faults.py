"""Broken Felten AIOE workbooks are refused, per table, with an error that says where."""

from __future__ import annotations

import openpyxl
import pytest

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

DATASET = "felten__aioe"
APPENDIX = "AIOE_DataAppendix.xlsx"
LM = "Language Modeling AIOE and AIIE.xlsx"

# table entity, file, sheet, a score column of the sheet
TABLES = [
    ("occupation", APPENDIX, "Appendix A", "AIOE"),
    ("industry", APPENDIX, "Appendix B", "AIIE"),
    ("geography", APPENDIX, "Appendix C", "AIGE"),
    ("ability_application", APPENDIX, "Appendix D", "Translation"),
    ("ability", APPENDIX, "Appendix E", "Ability-Level AI Exposure"),
    ("lm_occupation", LM, "LM AIOE", "Language Modeling AIOE"),
    ("lm_industry", LM, "LM AIIE", "Language Modeling AIIE"),
]
IDS = [t[0] for t in TABLES]


@pytest.mark.parametrize("entity,file,sheet,column", TABLES, ids=IDS)
def test_a_truncated_workbook_is_refused(
    tmp_path, monkeypatch, mirror, entity, file, sheet, column
):
    broken = injectors.truncate(mirror / DATASET / file, tmp_path / "broken.xlsx")
    assert_fault_rejected(tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken)


def _broken_copies(mirror, folder, edit) -> dict[str, object]:
    """One broken copy per workbook with `edit(sheet, column)` applied to every table's sheet.

    Each table reads only its own sheet, so one workbook carries the fault for all its tables:
    the workbooks are loaded and saved once instead of once per table.
    """
    copies = {}
    for file in (APPENDIX, LM):
        book = openpyxl.load_workbook(mirror / DATASET / file)
        for _entity, table_file, sheet, column in TABLES:
            if table_file == file:
                edit(book[sheet], column)
        copies[file] = folder / f"broken-{len(copies)}.xlsx"
        book.save(copies[file])
    return copies


def _header_index(ws, column: str) -> int:
    names = [str(c.value).strip() if c.value is not None else "" for c in ws[1]]
    return names.index(column) + 1


@pytest.fixture(scope="module")
def renamed(mirror, tmp_path_factory):
    def rename(ws, column):
        ws.cell(row=1, column=_header_index(ws, column), value=f"{column} (v2)")

    return _broken_copies(mirror, tmp_path_factory.mktemp("renamed"), rename)


@pytest.fixture(scope="module")
def mistyped(mirror, tmp_path_factory):
    def mistype(ws, column):  # data row 6 = sheet row 7
        ws.cell(row=7, column=_header_index(ws, column), value="n/a")

    return _broken_copies(mirror, tmp_path_factory.mktemp("mistyped"), mistype)


@pytest.mark.parametrize("entity,file,sheet,column", TABLES, ids=IDS)
def test_a_renamed_column_is_named(tmp_path, monkeypatch, renamed, entity, file, sheet, column):
    error = assert_fault_rejected(
        tmp_path, monkeypatch, f"{DATASET}__{entity}", file, renamed[file], column=column
    )
    assert sheet in error.file
    assert "missing" in str(error)


@pytest.mark.parametrize("entity,file,sheet,column", TABLES, ids=IDS)
def test_a_score_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mistyped, entity, file, sheet, column
):
    error = assert_fault_rejected(
        tmp_path, monkeypatch, f"{DATASET}__{entity}", file, mistyped[file], column=column
    )
    assert error.row == 6
    assert sheet in error.file


def test_a_renamed_sheet_is_refused(tmp_path, monkeypatch, mirror):
    book = openpyxl.load_workbook(mirror / DATASET / APPENDIX)
    book["Appendix C"].title = "Appendix C (counties)"
    broken = tmp_path / "broken.xlsx"
    book.save(broken)
    error = assert_fault_rejected(tmp_path, monkeypatch, f"{DATASET}__geography", APPENDIX, broken)
    assert "sheets" in str(error)


def test_a_duplicate_fips_code_is_refused(tmp_path, monkeypatch, mirror):
    broken = injectors.set_excel_cell(
        mirror / DATASET / APPENDIX,
        tmp_path / "broken.xlsx",
        "FIPS Code",
        3,
        1001,
        sheet="Appendix C",
    )
    error = assert_fault_rejected(
        tmp_path, monkeypatch, f"{DATASET}__geography", APPENDIX, broken, column="fips_code"
    )
    assert "duplicate key" in str(error)
