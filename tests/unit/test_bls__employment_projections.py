"""Employment projections reader on small hand-written files: mangled codes, NA and top-coded wages."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ingestion.bls.employment_projections import COLUMNS, read_employment_projections
from ingestion.errors import AtlasDataError

HEADER = ",".join(COLUMNS)
TAIL = "High school diploma or equivalent,7,None,4,Short-term on-the-job training,5"
ROWS = [
    "Dancers,27-2031,12.3,12.9,0.6,4.5,1.8,NA,No formal educational credential,8,None,4,Long-term on-the-job training,3",
    f"Construction managers,21-1100,550.3,598.4,48.1,8.7,46.8,106980,{TAIL}",
    "Dermatologists,29-1213,13.1,13.5,0.4,3.2,0.5,239200,Doctoral or professional degree,1,None,4,Internship/residency,1",
    '"Cooks, fast food",35-2011,669.5,579.2,-90.3,-13.5,82.1,30160,No formal educational credential,8,None,4,Short-term on-the-job training,5',
]


def write(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "source_employment_projections.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_quirks_are_flagged_and_rows_kept(tmp_path):
    frame = read_employment_projections(write(tmp_path, ROWS))
    assert frame.height == 4
    assert frame.get_column("_flags").to_list() == [
        "wage_not_available",
        "soc_code_mangled",
        "wage_top_coded",
        None,
    ]
    dancers = frame.row(0, named=True)
    assert dancers["median_annual_wage_2024"] is None and dancers["education_code"] == 8
    managers = frame.row(1, named=True)
    assert managers["soc2018_code"] == "21-1100"  # kept as published, flagged
    cooks = frame.row(3, named=True)
    assert cooks["soc2018_title"] == "Cooks, fast food"
    assert cooks["employment_change_24to34_thousands"] == -90.3
    assert cooks["employment_change_24to34_thousands_annual_average"] == 82.1
    assert frame.schema["median_annual_wage_2024"] == pl.Int64
    assert frame.schema["ojt_code"] == pl.Int32


def test_inconsistent_change_and_code_label_mismatch_are_flagged(tmp_path):
    rows = [
        f"Sales managers,11-2022,619.5,650.0,5.0,4.9,45.0,138000,{TAIL}",
        "Actuaries,15-2011,30.0,37.0,7.0,22.0,2.0,125000,Bachelor's degree,7,None,4,None,6",
    ]
    frame = read_employment_projections(write(tmp_path, rows))
    assert frame.get_column("_flags").to_list() == ["change_inconsistent", "category_code_mismatch"]


def test_a_number_that_is_not_a_number_names_column_and_row(tmp_path):
    bad = ROWS[1].replace("550.3", "five hundred")
    with pytest.raises(AtlasDataError) as caught:
        read_employment_projections(write(tmp_path, [ROWS[0], bad]))
    assert caught.value.column == "employment_2024_thousands" and caught.value.row == 2


def test_a_renamed_column_is_named(tmp_path):
    header = HEADER.replace("median_annual_wage_2024", "median_wage")
    with pytest.raises(AtlasDataError) as caught:
        read_employment_projections(write(tmp_path, ROWS, header))
    assert caught.value.column == "median_annual_wage_2024"
