"""SOC code lists and crosswalks on small hand-written files (CSV, fixed-width text, Excel)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from ingestion.bls.soc_crosswalks import (
    CENSUS_SHEET,
    NEM_SHEET,
    NEM_SOURCE,
    read_census_occ_codes,
    read_onet_soc2010_to_2019,
    read_onet_soc_to_soc,
    read_soc2010_to_soc2018,
    read_soc2018_codes,
)
from ingestion.errors import AtlasDataError


def write_text(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# SOC 2010 -> 2018 and O*NET-SOC 2010 -> 2019 ------------------------------------------------------

SOC_HEADER = "2010 SOC Code,2010 SOC Title,2018 SOC Code,2018 SOC Title\n"


def test_soc_crosswalk_flags_splits_and_merges(tmp_path):
    text = SOC_HEADER + (
        "11-1011,Chief Executives,11-1011,Chief Executives\n"
        "11-2031,Public Relations and Fundraising Managers,11-2032,Public Relations Managers\n"
        "11-2031,Public Relations and Fundraising Managers,11-2033,Fundraising Managers\n"
        "13-1078,Human Resources Specialists,13-1071,Human Resources Specialists\n"
        "13-1079,Human Resources Specialists All Other,13-1071,Human Resources Specialists\n"
    )
    frame = read_soc2010_to_soc2018(write_text(tmp_path, "x.csv", text))
    assert frame.columns[:4] == ["soc2010_code", "soc2010_title", "soc2018_code", "soc2018_title"]
    assert frame.get_column("_flags").to_list() == [
        None,
        "source_code_splits",
        "source_code_splits",
        "target_code_merges",
        "target_code_merges",
    ]


def test_onet_crosswalk_keeps_codes_as_text(tmp_path):
    text = (
        "O*NET-SOC 2010 Code,O*NET-SOC 2010 Title,O*NET-SOC 2019 Code,O*NET-SOC 2019 Title\n"
        "11-1011.03,Chief Sustainability Officers,11-1011.03,Chief Sustainability Officers\n"
    )
    frame = read_onet_soc2010_to_2019(write_text(tmp_path, "x.csv", text))
    assert frame.row(0, named=True)["onet_soc2019_code"] == "11-1011.03"


def test_crosswalk_renamed_column_is_named(tmp_path):
    text = SOC_HEADER.replace("2018 SOC Code", "SOC 2018") + "11-1011,A,11-1011,A\n"
    with pytest.raises(AtlasDataError) as caught:
        read_soc2010_to_soc2018(write_text(tmp_path, "x.csv", text))
    assert caught.value.column == "2018 SOC Code"


# SOC 2018 code list -------------------------------------------------------------------------------

CODES = (
    "29-0000  Healthcare Practitioners and Technical Occupations\n"
    "29-1200  Physicians and Surgeons\n"
    "29-1210  Physicians\n"
    "29-1218  Obstetricians and Gynecologists\n"
    "29-1221  Pediatricians, General\n"
    "29-1240  Surgeons\n"
    "29-1241  Ophthalmologists, Except Pediatric\n"
)


def test_code_list_levels_and_parents_from_the_hierarchy(tmp_path):
    frame = read_soc2018_codes(write_text(tmp_path, "codes.txt", CODES))
    rows = {r["soc2018_code"]: r for r in frame.iter_rows(named=True)}
    assert rows["29-0000"]["soc_level"] == "major" and rows["29-0000"]["parent_code"] is None
    assert rows["29-1200"]["soc_level"] == "minor" and rows["29-1200"]["parent_code"] == "29-0000"
    assert rows["29-1210"]["soc_level"] == "broad" and rows["29-1210"]["parent_code"] == "29-1200"
    assert rows["29-1218"]["parent_code"] == "29-1210" and rows["29-1218"]["_flags"] is None
    # 29-1221 sits under broad group 29-1210, not the 29-1220 its digits suggest.
    assert rows["29-1221"]["parent_code"] == "29-1210"
    assert rows["29-1221"]["_flags"] == "parent_not_implied_by_code"
    assert rows["29-1241"]["parent_code"] == "29-1240"
    assert rows["29-1221"]["soc2018_title"] == "Pediatricians, General"
    assert rows["29-1221"]["_source_row"] == 5


def test_code_list_errors_name_column_and_line(tmp_path):
    with pytest.raises(AtlasDataError) as caught:
        read_soc2018_codes(write_text(tmp_path, "a.txt", CODES + "29-12X5  Broken\n"))
    assert caught.value.column == "soc2018_code" and caught.value.row == 8
    with pytest.raises(AtlasDataError) as caught:
        read_soc2018_codes(
            write_text(tmp_path, "b.txt", CODES + "29-1299\tPhysicians, All Other\n")
        )
    assert caught.value.column == "soc2018_title" and caught.value.row == 8
    with pytest.raises(AtlasDataError, match="truncated"):
        read_soc2018_codes(write_text(tmp_path, "c.txt", CODES + "29-1299  Physi"))


# Census 2018 occupation code list -----------------------------------------------------------------


def census_book(
    tmp_path: Path,
    rows: list[tuple],
    header=("2018 Census Title ", "2018 Census Code", "2018 SOC Code"),
) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "OVERVIEW"
    sheet = book.create_sheet(CENSUS_SHEET)
    sheet.append([None, "U.S. Census Bureau"])
    sheet.append([None, "2018 Census Occupation Code List"])
    sheet.append([])
    sheet.append([None, "last updated: September 26, 2019"])
    sheet.append([None, *header])
    sheet.append([])
    sheet.append(
        [
            None,
            f"The 2018 census occupation classification list has {sum(1 for r in rows if r[3] and str(r[2]).isdigit())} codes. ",
        ]
    )
    for row in rows:
        sheet.append(list(row[:4]))
    path = tmp_path / "census.xlsx"
    book.save(path)
    return path


CENSUS_ROWS = [
    (
        "Management,  Business, Science, and Arts Occupations:",
        None,
        "0010-3550",
        "11-0000 - 29-0000",
        1,
    ),
    (None, "Management Occupations:", "0010-0440", "11-0000", 1),
    (None, "Chief executives", "0010", "11-1011", 1),
    (None, "Other financial specialists ", "0960", "13-20XX", 1),
    (None, "Other psychologists", 1825, "19-303X", 1),
    (None, "Military, rank not Specified", "9830", "none", 1),
]


def test_census_list_finds_the_header_below_the_title_block(tmp_path):
    frame = read_census_occ_codes(census_book(tmp_path, CENSUS_ROWS))
    rows = {r["census_code"]: r for r in frame.iter_rows(named=True)}
    assert list(rows) == ["0010-3550", "0010-0440", "0010", "0960", "1825", "9830"]
    assert rows["0010-3550"]["line_type"] == "major_group"
    assert rows["0010-3550"]["census_title"].startswith("Management,  Business")
    assert rows["0010-0440"]["line_type"] == "group"
    assert rows["0010"]["line_type"] == "occupation" and rows["0010"]["soc2018_code"] == "11-1011"
    assert rows["0960"]["_flags"] == "soc_code_aggregate"
    assert rows["0960"]["census_title"] == "Other financial specialists"
    assert rows["1825"]["census_title"] == "Other psychologists"  # a code typed as a number
    assert rows["9830"]["soc2018_code"] is None and rows["9830"]["_flags"] == "no_soc_equivalent"


def test_census_list_checks_the_stated_number_of_codes(tmp_path):
    path = census_book(tmp_path, CENSUS_ROWS)
    book = openpyxl.load_workbook(path)
    book[CENSUS_SHEET]["B7"] = "The 2018 census occupation classification list has 570 codes."
    book.save(path)
    with pytest.raises(AtlasDataError, match="says it has 570 codes"):
        read_census_occ_codes(path)


def test_census_list_bad_code_and_renamed_column_are_named(tmp_path):
    rows = [*CENSUS_ROWS, (None, "Broken", "ab12", "11-1011", 1)]
    with pytest.raises(AtlasDataError) as caught:
        read_census_occ_codes(census_book(tmp_path, rows))
    assert caught.value.column == "2018 Census Code"
    header = ("2018 Census Title", "Census Code", "2018 SOC Code")
    with pytest.raises(AtlasDataError) as caught:
        read_census_occ_codes(census_book(tmp_path, CENSUS_ROWS, header))
    assert caught.value.column == "2018 Census Code"


# O*NET-SOC -> NEM ---------------------------------------------------------------------------------


def nem_book(
    tmp_path: Path, rows: list[list], header=tuple(NEM_SOURCE), as_of="As of 9/6/2023"
) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = NEM_SHEET
    sheet.append(["Bureau of Labor Statistics O*NET-SOC to NEM crosswalk"])
    sheet.append(["Office of Occupational Statistics and Employment Projections"])
    sheet.append([as_of])
    sheet.append(["O*NET-SOC and NEM equivalents"])
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    book.create_sheet("Definitions").append(
        ["O*NET-SOC codes come from the ONET-SOC 2019 Taxonomy"]
    )
    path = tmp_path / "nem.xlsx"
    book.save(path)
    return path


DASH = "\u2014"
NEM_ROWS = [
    [
        1,
        "11-1011.00",
        "Chief Executives",
        "11-1011",
        "Chief executives",
        "B039",
        "Top executives",
        "Management",
        "Management",
        "https://www.bls.gov/OOH/management/top-executives.htm",
    ],
    [
        2,
        "11-1011.03",
        "Chief Sustainability Officers",
        "11-1011",
        "Chief executives",
        "B039",
        "Top executives",
        "Management",
        "Management",
        "https://www.bls.gov/OOH/management/top-executives.htm",
    ],
    [3, "11-1031.00", "Legislators", "11-1031", "Legislators", DASH, DASH, DASH, DASH, DASH],
]


def test_nem_crosswalk_header_version_date_and_dashes(tmp_path):
    frame = read_onet_soc_to_soc(nem_book(tmp_path, NEM_ROWS))
    assert frame.height == 3
    assert str(frame.get_column("as_of")[0]) == "2023-09-06"
    legislators = frame.row(2, named=True)
    assert legislators["ooh_profile_code"] is None and legislators["ooh_profile_url"] is None
    assert legislators["_flags"] == "no_ooh_profile"
    assert frame.get_column("_flags").to_list()[:2] == ["nem_code_shared", "nem_code_shared"]
    assert frame.get_column("sort_order").to_list() == [1, 2, 3]


def test_nem_crosswalk_errors(tmp_path):
    header = [("NEM Occupation Code" if c == "NEM Code" else c) for c in NEM_SOURCE]
    with pytest.raises(AtlasDataError) as caught:
        read_onet_soc_to_soc(nem_book(tmp_path, NEM_ROWS, header=header))
    assert caught.value.column == "NEM Code"
    bad = [["first", *NEM_ROWS[0][1:]]]
    with pytest.raises(AtlasDataError) as caught:
        read_onet_soc_to_soc(nem_book(tmp_path, bad))
    assert caught.value.column == "Sort Order" and caught.value.row == 1
    with pytest.raises(AtlasDataError) as caught:
        read_onet_soc_to_soc(nem_book(tmp_path, NEM_ROWS, as_of="Updated recently"))
    assert caught.value.column == "as_of"


def test_a_file_that_is_not_a_workbook_is_refused(tmp_path):
    path = write_text(tmp_path, "nem.xlsx", "PK\x03\x04 not really a zip")
    with pytest.raises(AtlasDataError, match="cannot open the workbook"):
        read_onet_soc_to_soc(path)
