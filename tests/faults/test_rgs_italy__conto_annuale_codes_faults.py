"""Broken copies of the RGS Conto Annuale code lists are refused naming the dataset, file and
column, and the table landed before is left as it was."""

from __future__ import annotations

import pytest

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

DATASET = "rgs_italy__conto_annuale_codes"
T = f"{DATASET}__"
CSV = {"delimiter": ";", "encoding": "utf-8-sig"}

# table, file, a column to rename (as named in the file)
CASES = [
    (T + "comparto_contratto", "CompartoContratto.CSV", "CODI_CONTRATTO"),
    (T + "contratto_qualifica", "ContrattoMacroCCategQualif.CSV", "CODI_QUALIFICA"),
    (T + "voce_spesa", "VoceSpesa.CSV", "FLAG_SEGNO"),
]
IDS = [c[0].removeprefix(T) for c in CASES]


@pytest.mark.parametrize("table,file,renamed", CASES, ids=IDS)
def test_a_truncated_file_is_refused_and_the_table_kept(
    tmp_path, monkeypatch, mirror, table, file, renamed, built_warehouse
):
    broken = injectors.truncate(mirror / DATASET / file, tmp_path / file)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, table, file, broken)


@pytest.mark.parametrize("table,file,renamed", CASES, ids=IDS)
def test_a_renamed_column_is_named(
    tmp_path, monkeypatch, mirror, table, file, renamed, built_warehouse
):
    broken = injectors.rename_text_column(
        mirror / DATASET / file, tmp_path / file, renamed, renamed.lower(), **CSV
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table, file, broken, column=renamed
    )
    assert "missing" in str(error)


@pytest.mark.parametrize("table,file,renamed", CASES, ids=IDS)
def test_a_year_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, table, file, renamed, built_warehouse
):
    broken = injectors.set_text_cell(
        mirror / DATASET / file, tmp_path / file, "ANNO", 6, "2024-25", **CSV
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table, file, broken, column="ANNO"
    )
    assert error.row == 6


def test_a_windows_1252_copy_is_refused_with_its_byte_offset(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    file = "VoceSpesa.CSV"
    text = (mirror / DATASET / file).read_text(encoding="utf-8-sig")
    broken = tmp_path / file
    broken.write_bytes(text.encode("cp1252"))
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, T + "voce_spesa", file, broken
    )
    assert "not valid utf-8 text at byte" in str(error)


def test_a_grade_code_that_lost_its_leading_zero_breaks_the_contract(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    file = "ContrattoMacroCCategQualif.CSV"
    broken = injectors.set_text_cell(
        mirror / DATASET / file, tmp_path / file, "CODI_QUALIFICA", 3, "D0I96", **CSV
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        T + "contratto_qualifica",
        file,
        broken,
        column="codi_qualifica",
    )
    assert "pattern" in str(error)


def test_a_duplicate_pay_item_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    file = "VoceSpesa.CSV"
    broken = injectors.set_text_cell(
        mirror / DATASET / file, tmp_path / file, "CODI_VOCE_SPESA", 2, "35", **CSV
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, T + "voce_spesa", file, broken, column="anno"
    )
    assert "duplicate key" in str(error)
