"""Mihaylov & Tijdens RTI reader on small hand-written files."""

from __future__ import annotations

import pytest

from ingestion.errors import AtlasDataError
from ingestion.mihaylov_tijdens.rti import read_rti

HEADER = "isco08_code,isco08_title,nra,nri,rc,rm,nrm,rti\n"


def write(tmp_path, body: str):
    path = tmp_path / "rti.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_published_without_a_final_line_break(tmp_path):
    # the real file ends without a line break: that alone is not truncation
    frame = read_rti(
        write(
            tmp_path,
            "1111,Legislators,0.3,0.7,0,0,0,-1\n"
            "0110,Commissioned armed forces officers,0.2,0.2,0.2,0.2,0.2,-0.2",
        )
    )
    assert frame.height == 2
    assert frame["isco08_code"].to_list() == ["1111", "0110"]  # leading zero kept
    assert frame["rti"].to_list() == [-1.0, -0.2]
    assert frame["_flags"].to_list() == [None, None]


def test_a_last_row_cut_inside_a_number_is_taken_as_truncation(tmp_path):
    # 4110: rc + rm - others = 0.7777778 * 2 - 1 = 0.5555556; "0.55" is what a cut would leave
    path = write(
        tmp_path,
        "1111,Legislators,0.3,0.7,0,0,0,-1\n"
        "4110,General office clerks,0.1111111,0.1111111,0.7777778,0,0,0.55",
    )
    with pytest.raises(AtlasDataError, match="truncated") as caught:
        read_rti(path)
    assert caught.value.row == 2


def test_a_last_row_with_fewer_fields_is_refused(tmp_path):
    path = write(tmp_path, "1111,Legislators,0.3,0.7,0,0,0,-1\n4110,General office clerks,0.1")
    with pytest.raises(AtlasDataError, match="fields"):
        read_rti(path)


def test_inconsistent_rows_before_the_last_are_flagged_not_dropped(tmp_path):
    frame = read_rti(
        write(
            tmp_path,
            "1111,Legislators,0.3,0.6,0,0,0,-0.9\n"  # shares sum to 0.9
            "1112,Senior government officials,0.5,0.5,0,0,0,0.5\n"  # rti should be -1
            "1113,Traditional chiefs,0.1428571,0.7142857,0,0,0.1428571,-1\n",
        )
    )
    assert frame["_flags"].to_list() == [
        "shares_do_not_sum_to_one",
        "rti_inconsistent_with_shares",
        None,
    ]


def test_a_share_that_is_not_a_number_names_column_and_row(tmp_path):
    with pytest.raises(AtlasDataError) as caught:
        read_rti(write(tmp_path, "1111,Legislators,0.3,lots,0,0,0,-1\n"))
    assert caught.value.column == "nri"
    assert caught.value.row == 1
