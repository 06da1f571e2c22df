"""Broken Felten AIOE workbooks are refused, per table, with an error that says where."""

from __future__ import annotations

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
    tmp_path, monkeypatch, mirror, entity, file, sheet, column, built_warehouse
):
    broken = injectors.truncate(mirror / DATASET / file, tmp_path / "broken.xlsx")
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken
    )


@pytest.mark.parametrize("entity,file,sheet,column", TABLES, ids=IDS)
def test_a_renamed_column_is_named(
    tmp_path, monkeypatch, mirror, entity, file, sheet, column, built_warehouse
):
    broken = injectors.rename_excel_column(
        mirror / DATASET / file, tmp_path / "broken.xlsx", column, f"{column} (v2)", sheet=sheet
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken, column=column
    )
    assert sheet in error.file
    assert "missing" in str(error)


@pytest.mark.parametrize("entity,file,sheet,column", TABLES, ids=IDS)
def test_a_score_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, entity, file, sheet, column, built_warehouse
):
    broken = injectors.set_excel_cell(
        mirror / DATASET / file, tmp_path / "broken.xlsx", column, 6, "n/a", sheet=sheet
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__{entity}", file, broken, column=column
    )
    assert error.row == 6
    assert sheet in error.file


def test_a_renamed_sheet_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.rename_excel_sheet(
        mirror / DATASET / APPENDIX, tmp_path / "broken.xlsx", "Appendix C", "Appendix C (counties)"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, f"{DATASET}__geography", APPENDIX, broken
    )
    assert "sheets" in str(error)


def test_a_duplicate_fips_code_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.set_excel_cell(
        mirror / DATASET / APPENDIX,
        tmp_path / "broken.xlsx",
        "FIPS Code",
        3,
        1001,
        sheet="Appendix C",
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__geography",
        APPENDIX,
        broken,
        column="fips_code",
    )
    assert "duplicate key" in str(error)
