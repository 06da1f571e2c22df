"""Frey & Osborne reader on small hand-written files."""

from __future__ import annotations

import pytest

from ingestion.errors import AtlasDataError
from ingestion.frey_osborne.computerisation import read_computerisation

HEADER = "Rank,Probability,Label,SOC code,Occupation\n"


def write(tmp_path, body: str, header: str = HEADER):
    path = tmp_path / "fo.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_types_codes_and_labels(tmp_path):
    frame = read_computerisation(
        write(
            tmp_path,
            "1,0.0028,,29-1125,Recreational therapists\n"
            '2,0.003,0,29-1060,"Physicians and surgeons"\n'
            "3,0.99,1,41-9041,Telemarketers\n",
        )
    )
    assert frame.columns[:5] == ["rank", "probability", "label", "soc_code", "occupation"]
    assert frame["soc_code"].to_list() == ["29-1125", "29-1060", "41-9041"]
    assert frame["label"].to_list() == [None, 0, 1]
    assert frame["probability"].to_list() == [0.0028, 0.003, 0.99]
    assert frame["_source_row"].to_list() == [1, 2, 3]
    # a SOC broad group (code ending in 0) is kept and flagged
    assert frame["_flags"].to_list() == [None, "soc_broad_group", None]


def test_rank_out_of_probability_order_is_flagged(tmp_path):
    frame = read_computerisation(
        write(tmp_path, "1,0.5,,11-1011,A\n2,0.2,,11-1021,B\n3,0.7,,11-2011,C\n")
    )
    assert frame["_flags"].to_list() == [None, "rank_out_of_order", None]


def test_typographic_titles_are_kept(tmp_path):
    frame = read_computerisation(write(tmp_path, "1,0.92,,47-3012,Helpers–carpenters\n"))
    assert frame["occupation"].item() == "Helpers–carpenters"


def test_a_probability_that_is_not_a_number_names_column_and_row(tmp_path):
    with pytest.raises(AtlasDataError) as caught:
        read_computerisation(write(tmp_path, "1,0.1,,11-1011,A\n2,high,,11-1021,B\n"))
    assert caught.value.column == "Probability"
    assert caught.value.row == 2
    assert caught.value.dataset_id == "frey_osborne__computerisation"


def test_a_renamed_column_is_named(tmp_path):
    path = write(tmp_path, "1,0.1,,11-1011,A\n", header="Rank,Prob,Label,SOC code,Occupation\n")
    with pytest.raises(AtlasDataError) as caught:
        read_computerisation(path)
    assert caught.value.column == "Probability"


def test_a_cut_off_last_line_is_refused(tmp_path):
    path = tmp_path / "fo.csv"
    path.write_text(HEADER + "1,0.1,,11-1011,A\n2,0.2,,11-10", encoding="utf-8")
    with pytest.raises(AtlasDataError, match="truncated"):
        read_computerisation(path)
