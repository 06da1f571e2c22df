"""OEWS national reader on small hand-written files: markers, padding, flags and errors."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from ingestion.bls.oews_national import SOURCE_COLUMNS, read_oews_national
from ingestion.errors import AtlasDataError

BASE = {
    "AREA": "99",
    "AREA_TITLE": "U.S.",
    "AREA_TYPE": "1",
    "PRIM_STATE": "US",
    "NAICS": "0",
    "NAICS_TITLE": "Cross-industry",
    "I_GROUP": "cross-industry",
    "OWN_CODE": "1235",
    "OCC_CODE": "00-0000",
    "OCC_TITLE": "All Occupations",
    "O_GROUP": "total",
    "TOT_EMP": "154187380",
    "EMP_PRSE": "0.0",
    "H_MEAN": "32.66",
    "A_MEAN": "67920",
    "MEAN_PRSE": "0.1",
    "H_PCT10": "14.42",
    "H_PCT25": "17.66",
    "H_MEDIAN": "23.8",
    "H_PCT75": "37.89",
    "H_PCT90": "60.44",
    "A_PCT10": "29990",
    "A_PCT25": "36730",
    "A_MEDIAN": "49500",
    "A_PCT75": "78810",
    "A_PCT90": "125720",
}


def write(tmp_path: Path, rows: list[dict], header: list[str] = SOURCE_COLUMNS) -> Path:
    path = tmp_path / "oews_national_2024.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for index, row in enumerate(rows):
            full = {**BASE, **row}
            full.setdefault("", str(index))
            writer.writerow([full.get(c, "") for c in header])
    return path


def test_markers_become_nulls_with_a_status_saying_which(tmp_path):
    rows = [
        {},
        {
            "OCC_CODE": "11-1011",
            "OCC_TITLE": "Chief Executives",
            "O_GROUP": "detailed",
            "H_PCT75": "#",
            "H_PCT90": "#",
            "A_PCT75": "#",
            "A_PCT90": "#",
        },
        {
            "OCC_CODE": "25-2021",
            "OCC_TITLE": "Elementary School Teachers",
            "O_GROUP": "detailed",
            "H_MEAN": "*",
            **{f"H_{p}": "*" for p in ("PCT10", "PCT25", "MEDIAN", "PCT75", "PCT90")},
            "ANNUAL": "True",
        },
        {"OCC_CODE": "27-2011", "OCC_TITLE": "Actors", "O_GROUP": "detailed", "TOT_EMP": "**"},
    ]
    frame = read_oews_national(write(tmp_path, rows))
    ceo = frame.row(1, named=True)
    assert ceo["h_pct90"] is None and ceo["h_pct90_status"] == "top_coded"
    assert ceo["a_pct90"] is None and ceo["a_pct90_status"] == "top_coded"
    assert ceo["a_median"] == 49500 and ceo["a_median_status"] == "reported"
    assert ceo["_flags"] == "wage_top_coded"
    teacher = frame.row(2, named=True)
    assert teacher["h_median"] is None and teacher["h_median_status"] == "wage_not_available"
    assert teacher["annual"] is True and teacher["hourly"] is False
    assert "hourly_wage_not_available" in teacher["_flags"]
    actors = frame.row(3, named=True)
    assert actors["tot_emp"] is None and actors["tot_emp_status"] == "employment_not_available"
    assert actors["_flags"] == "employment_not_available"
    # Columns the national file never fills are null with status "blank", not "reported".
    assert frame.get_column("jobs_1000_status").unique().to_list() == ["blank"]


def test_types_codes_and_the_pandas_index(tmp_path):
    frame = read_oews_national(write(tmp_path, [{}]))
    assert "" not in frame.columns
    assert frame.schema["tot_emp"] == pl.Int64 and frame.schema["h_mean"] == pl.Float64
    assert frame.schema["a_median"] == pl.Int64 and frame.schema["annual"] == pl.Boolean
    row = frame.row(0, named=True)
    assert row["naics"] == "000000"  # restored from the republished "0"
    assert row["occ_code"] == "00-0000" and row["own_code"] == "1235"
    assert row["_source_row"] == 1 and row["_flags"] is None


def test_same_code_at_two_levels_and_a_shifted_index_are_flagged(tmp_path):
    rows = [
        {"OCC_CODE": "13-1020", "O_GROUP": "broad"},
        {"OCC_CODE": "13-1020", "O_GROUP": "detailed", "": "7"},
    ]
    frame = read_oews_national(write(tmp_path, rows))
    assert frame.get_column("_flags").to_list() == [
        "code_at_two_levels",
        "code_at_two_levels;index_out_of_sequence",
    ]


def test_percentiles_out_of_order_are_flagged(tmp_path):
    frame = read_oews_national(write(tmp_path, [{"A_PCT25": "20000"}]))
    assert frame.get_column("_flags").to_list() == ["annual_percentiles_not_monotonic"]


def test_a_wage_that_is_not_a_number_names_column_and_row(tmp_path):
    with pytest.raises(AtlasDataError) as caught:
        read_oews_national(write(tmp_path, [{}, {"A_MEAN": "n/a"}]))
    assert caught.value.column == "A_MEAN" and caught.value.row == 2
    assert caught.value.dataset_id == "bls__oews_national"


def test_a_renamed_column_is_named(tmp_path):
    header = ["TOTAL_EMP" if c == "TOT_EMP" else c for c in SOURCE_COLUMNS]
    with pytest.raises(AtlasDataError) as caught:
        read_oews_national(write(tmp_path, [{}], header=header))
    assert caught.value.column == "TOT_EMP"
