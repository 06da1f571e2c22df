"""OEWS by-ownership reader and manifest reader on small hand-written files."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from ingestion.bls.oews_government_2025 import SOURCE_COLUMNS, read_manifest, read_oews_by_ownership
from ingestion.errors import AtlasDataError

HEADER = ",".join(SOURCE_COLUMNS)
ROWS = [
    '000000,"Cross-Industry, Private, Federal, State, and Local",00-0000,All Occupations,0,'
    "155495730,33.54,69770,24.51,50980,0.0,0.1,",
    # footnote 4: wages only annual (teachers) -> hourly '-'
    "999301,Local Government,25-2021,Elementary School Teachers,3,1000,-,70000,-,65000,1.0,0.5,4",
    # footnote 8: employment not released
    "000001,Private only,23-1021,Administrative Law Judges,3,-,36.77,76480,31.99,66530,-,5.5,8",
    # footnotes 4 and 8 together
    "999101,Federal,27-2011,Actors,3,-,40.00,-,38.00,-,-,3.0,4;8",
    # a '-' that no footnote explains
    "999100,Federal Executive,11-1011,Chief Executives,3,500,-,250000,-,240000,2.0,1.0,",
]


def write(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "oews_may2025_national_by_ownership.csv"
    path.write_text("\r\n".join([header, *rows]) + "\r\n", encoding="utf-8")
    return path


def test_dashes_become_nulls_with_status_and_footnote_reasons(tmp_path):
    frame = read_oews_by_ownership(write(tmp_path, ROWS))
    assert frame.height == 5
    total = frame.row(0, named=True)
    assert total["industry_code"] == "000000" and total["tot_emp"] == 155495730
    assert total["a_median"] == 50980 and total["_flags"] is None
    assert total["footnote_codes"] is None
    teachers = frame.row(1, named=True)
    assert teachers["h_mean"] is None and teachers["h_mean_status"] == "not_available"
    assert teachers["a_mean"] == 70000 and teachers["a_mean_status"] == "reported"
    assert teachers["_flags"] == "wage_published_annual_only"
    judges = frame.row(2, named=True)
    assert judges["tot_emp"] is None and judges["emp_prse_status"] == "not_available"
    assert judges["_flags"] == "employment_not_released"
    actors = frame.row(3, named=True)
    assert actors["footnote_codes"] == "4;8"
    assert actors["_flags"] == "wage_published_hourly_only;employment_not_released"
    unexplained = frame.row(4, named=True)
    assert unexplained["_flags"] == "marker_without_footnote"


def test_types(tmp_path):
    frame = read_oews_by_ownership(write(tmp_path, ROWS[:1]))
    assert frame.schema["occ_display_level"] == pl.Int32
    assert frame.schema["tot_emp"] == pl.Int64 and frame.schema["h_median"] == pl.Float64


def test_a_value_that_is_not_a_number_names_column_and_row(tmp_path):
    bad = ROWS[0].replace("69770", "lots")
    with pytest.raises(AtlasDataError) as caught:
        read_oews_by_ownership(write(tmp_path, [ROWS[1], bad]))
    assert caught.value.column == "a_mean" and caught.value.row == 2


def test_a_renamed_column_is_named(tmp_path):
    with pytest.raises(AtlasDataError) as caught:
        read_oews_by_ownership(write(tmp_path, ROWS, HEADER.replace("h_median", "median_hourly")))
    assert caught.value.column == "h_median"


MANIFEST = {
    "builder": 1,
    "counts": {"areas": 2, "cells": 3, "data_rows": 4, "industries": 5, "occupations": 6},
    "data_year": "2025",
    "database_bytes": 100,
    "database_sha256": "a" * 64,
    "file": "oews-2025.sqlite.gz",
    "file_sha256": "b" * 64,
    "release": {"code": "2025A01", "description": "May 2025", "period": "A01", "year": "2025"},
    "retrieved": "2026-01-02",
    "schema": 1,
    "sources": {
        "oe.area": {
            "bytes": 10,
            "etag": '"x:0"',
            "last_modified": "2026-01-01",
            "sha256": "c" * 64,
            "url": "https://download.bls.gov/pub/time.series/oe/oe.area",
        },
        "oe.footnote": {
            "bytes": 20,
            "etag": '"y:0"',
            "last_modified": "2025-12-31",
            "sha256": "d" * 64,
            "url": "https://download.bls.gov/pub/time.series/oe/oe.footnote",
        },
    },
}


def write_manifest(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_manifest_one_row_per_flat_file_with_the_release_on_each(tmp_path):
    frame = read_manifest(write_manifest(tmp_path, MANIFEST))
    assert frame.get_column("source_file").to_list() == ["oe.area", "oe.footnote"]
    row = frame.row(1, named=True)
    assert row["bytes"] == 20 and row["release_code"] == "2025A01"
    assert str(row["last_modified"]) == "2025-12-31" and str(row["retrieved"]) == "2026-01-02"
    assert row["count_cells"] == 3 and row["schema_version"] == 1
    assert frame.schema["last_modified"] == pl.Date and frame.schema["builder"] == pl.Int32


def test_manifest_missing_key_and_wrong_type_are_named(tmp_path):
    data = json.loads(json.dumps(MANIFEST))
    data["release"].pop("code")
    with pytest.raises(AtlasDataError) as caught:
        read_manifest(write_manifest(tmp_path, data))
    assert caught.value.column == "code"
    data = json.loads(json.dumps(MANIFEST))
    data["sources"]["oe.footnote"]["bytes"] = "twenty"
    with pytest.raises(AtlasDataError) as caught:
        read_manifest(write_manifest(tmp_path, data))
    assert caught.value.column == "bytes" and caught.value.row == 2


def test_manifest_truncated_json_is_refused(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(MANIFEST)[:50], encoding="utf-8")
    with pytest.raises(AtlasDataError, match="not valid JSON"):
        read_manifest(path)
